-- id: mail_staff_to_parent_after_hours
-- purpose: a            (art. 7.1 a-f)
-- requirement: MAIL-8
-- severity: low
-- mode: automated
-- summary.en: A staff member mailed a parent after 17:00 or at the weekend.
-- summary.nl: Een personeelslid mailde een ouder na 17 uur of in het weekend.
-- summary.fr: Un membre du personnel a écrit à un parent après 17 h ou le week-end.
--
-- MAIL-8 (004): no messages to parents after [school] parent_mail_until (17:00), before
-- parent_mail_from (07:00) or at weekends, in the school's time zone. Staff and parents
-- as the directory has them. One row per message.
SELECT
  e.sender AS person,
  min(e.event_time) AS event_time,
  min(local_date(e.event_time)) AS local_day,
  count(DISTINCT e.recipient) AS parents,
  min(e.source_file) AS source_file,
  min(e.source_line) AS source_line
FROM email e
JOIN people s ON s.address = e.sender AND s.role = 'staff'
JOIN people r ON r.address = e.recipient AND r.role = 'parent'
WHERE parent_quiet_time(e.event_time)
GROUP BY e.sender, coalesce(e.message_id, e.trace_id)
ORDER BY event_time, source_line
