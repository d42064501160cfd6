-- id: mail_sensitive_pupil_data_in_subject
-- purpose: b            (art. 7.1 a-f)
-- requirement: MAIL-4
-- severity: high
-- mode: sample
-- summary.en: A staff message whose subject names sensitive pupil data (medical, family, psycho-social, care, financial).
-- summary.nl: Een bericht van personeel waarvan het onderwerp gevoelige leerlinggegevens noemt (medisch, gezin, psychosociaal, zorg, financieel).
-- summary.fr: Un message du personnel dont l'objet mentionne des données sensibles d'un élève (médicales, familiales, psychosociales, de suivi, financières).
--
-- MAIL-4 (001 par. 3.3): sensitive pupil data go through the pupil tracking system, not
-- mail. A word in a subject is a hint, not proof, so this rule is sampled: the population
-- is every message a staff member or shared mailbox sent, `violation` says whether its
-- subject hits one of the lists medical, family, psychosocial, care, financial of
-- [mail.words], and the DPO reviews a random sample. Protected mail has no subject here.
SELECT
  e.sender AS person,
  min(e.event_time) AS event_time,
  min(word_match(e.subject, 'medical,family,psychosocial,care,financial')) AS matched_list,
  bool_or(word_match(e.subject, 'medical,family,psychosocial,care,financial') IS NOT NULL) AS violation,
  min(e.source_file) AS source_file,
  min(e.source_line) AS source_line
FROM email e
JOIN people p ON p.address = e.sender AND p.role IN ('staff', 'shared-mailbox')
GROUP BY e.sender, coalesce(e.message_id, e.trace_id)
ORDER BY event_time, source_line
