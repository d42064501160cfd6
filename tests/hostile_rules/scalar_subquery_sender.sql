-- id: scalar_subquery_sender
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "top"
SELECT (SELECT max(sender) FROM email) AS top FROM policy
