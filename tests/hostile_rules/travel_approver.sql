-- id: travel_approver
-- purpose: e
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "who"
SELECT approved_by AS who FROM travel_exceptions
