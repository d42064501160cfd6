-- id: copy_to_a_file
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused 
COPY (SELECT * FROM email) TO '/tmp/logwacht-stolen.csv'
