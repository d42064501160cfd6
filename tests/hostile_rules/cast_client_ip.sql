-- id: cast_client_ip
-- purpose: e
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "c"
SELECT CAST(client_ip AS VARCHAR) AS c FROM web
