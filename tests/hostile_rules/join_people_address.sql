-- id: join_people_address
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "a"
SELECT p.address AS a FROM email e JOIN people p ON p.address = e.sender
