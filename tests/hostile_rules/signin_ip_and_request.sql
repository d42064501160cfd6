-- id: signin_ip_and_request
-- purpose: e
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "ip"
SELECT "user" AS person, ip, request_id FROM signin
