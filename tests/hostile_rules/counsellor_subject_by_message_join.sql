-- id: counsellor_subject_by_message_join
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "s"
SELECT b.subject AS s FROM email a JOIN email b ON a.message_id = b.message_id JOIN people p ON p.address = a.recipient AND p.role = 'counsellor'
