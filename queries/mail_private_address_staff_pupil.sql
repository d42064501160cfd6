-- id: mail_private_address_staff_pupil
-- purpose: a            (art. 7.1 a-f)
-- requirement: MAIL-1
-- severity: high
-- mode: automated
-- summary.en: Staff and a pupil exchanged mail where one side used a private mail account.
-- summary.nl: Personeel en een leerling mailden met elkaar terwijl één kant een privé-mailaccount gebruikte.
-- summary.fr: Un membre du personnel et un élève ont échangé des messages dont un côté utilisait un compte de messagerie privé.
--
-- MAIL-1 (003 art. 11.1-11.3; 001 par. 3.2-3.3): staff and pupils correspond only through
-- school addresses. The directory (reference/people.csv) knows who is staff and who is a
-- pupil; it may list a person's known private addresses too, with the same role. A
-- message between a pupil and a staff member where either address lies in a private
-- provider's domain ([mail] private_domains) is a finding. One row per message.
SELECT
  e.sender AS person,
  min(e.event_time) AS event_time,
  min(s.role) AS sender_role,
  min(r.role) AS recipient_role,
  min(e.source_file) AS source_file,
  min(e.source_line) AS source_line
FROM email e
JOIN people s ON s.address = e.sender
JOIN people r ON r.address = e.recipient
WHERE ((s.role = 'staff' AND r.role = 'pupil') OR (s.role = 'pupil' AND r.role = 'staff'))
  AND (registrable_domain(e.sender) IN (SELECT value FROM lists WHERE list = 'private_domain')
    OR registrable_domain(e.recipient) IN (SELECT value FROM lists WHERE list = 'private_domain'))
GROUP BY e.sender, coalesce(e.message_id, e.trace_id)
ORDER BY event_time, source_line
