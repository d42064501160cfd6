-- id: set_a_variable
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused 
SET datafusion.execution.batch_size = 1
