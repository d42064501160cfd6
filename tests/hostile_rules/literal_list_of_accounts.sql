-- id: literal_list_of_accounts
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused a literal
SELECT count(*) AS n FROM web WHERE "user" IN ('lotte', 'jan')
