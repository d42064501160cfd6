-- id: mail_unapproved_client
-- purpose: a            (art. 7.1 a-f)
-- requirement: MAIL-9
-- severity: low
-- mode: automated
-- summary.en: Mail from a school address written with software other than the school's.
-- summary.nl: Mail van een schooladres geschreven met andere software dan die van de school.
-- summary.fr: Un message d'une adresse de l'école écrit avec un autre logiciel que celui de l'école.
--
-- MAIL-9 (003 art. 4.3): only the school's mail software is used. Where the source logs
-- the client (X-Mailer or User-Agent header), a message from a school address whose
-- client does not start with one of [mail] approved_mailers is a finding. The row does
-- not name the software: a header value is content, written by whoever sent the mail
-- (CTL-2); the evidence line points the DPO to it in the log.
SELECT
  e.sender AS person,
  min(e.event_time) AS event_time,
  min(e.source_file) AS source_file,
  min(e.source_line) AS source_line
FROM email e
WHERE e.mailer IS NOT NULL
  AND registrable_domain(e.sender) IN (SELECT value FROM lists WHERE list = 'school_domain')
  AND NOT EXISTS (
    SELECT 1 FROM lists l WHERE l.list = 'approved_mailer' AND starts_with(lower(e.mailer), l.value)
  )
GROUP BY e.sender, coalesce(e.message_id, e.trace_id)
ORDER BY event_time, source_line
