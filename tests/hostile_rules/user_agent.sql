-- id: user_agent
-- purpose: e
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "ua"
SELECT user_agent AS ua FROM web
