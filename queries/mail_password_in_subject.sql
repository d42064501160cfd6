-- id: mail_password_in_subject
-- purpose: b            (art. 7.1 a-f)
-- requirement: MAIL-3
-- severity: high
-- mode: automated
-- summary.en: A staff message whose subject says it carries a password or login code.
-- summary.nl: Een bericht van personeel waarvan het onderwerp zegt dat het een wachtwoord of inlogcode bevat.
-- summary.fr: Un message du personnel dont l'objet dit qu'il contient un mot de passe ou un code de connexion.
--
-- MAIL-3 (001 par. 3): never send a password by mail. The subject is matched against the
-- `password` word list of [mail.words] (Dutch, French, English; whole words). The
-- subject itself never leaves the rule: the row says which list matched. Protected mail
-- (CTL-7/8) has no subject here, so it is never a finding.
SELECT
  e.sender AS person,
  min(e.event_time) AS event_time,
  min(word_match(e.subject, 'password')) AS matched_list,
  min(e.source_file) AS source_file,
  min(e.source_line) AS source_line
FROM email e
JOIN people p ON p.address = e.sender AND p.role IN ('staff', 'shared-mailbox')
WHERE word_match(e.subject, 'password') IS NOT NULL
GROUP BY e.sender, coalesce(e.message_id, e.trace_id)
ORDER BY event_time, source_line
