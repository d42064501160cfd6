-- id: insert_into_people
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused 
INSERT INTO people VALUES ('x@y', 'staff', NULL)
