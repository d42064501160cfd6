-- id: mail_forbidden_attachment
-- purpose: e            (art. 7.1 a-f)
-- requirement: MAIL-6
-- severity: high
-- mode: automated
-- summary.en: A message carried an attachment with a forbidden extension (executable or script).
-- summary.nl: Een bericht bevatte een bijlage met een verboden extensie (uitvoerbaar bestand of script).
--
-- MAIL-6 (003 art. 8.1c, 5.7k): forbidden attachment extensions ([mail]
-- forbidden_extensions), where the source gives attachment names (Postfix with logged
-- MIME names). Security (purpose e, fully automated): the row names the extension, never
-- the file name. Protected mail has no attachment names here.
SELECT
  e.sender AS person,
  min(e.event_time) AS event_time,
  min(x.value) AS extension,
  min(e.source_file) AS source_file,
  min(e.source_line) AS source_line
FROM email e
JOIN lists x ON x.list = 'forbidden_extension'
  AND strpos(';' || extensions(e.attachment_names) || ';', ';' || x.value || ';') > 0
GROUP BY e.sender, coalesce(e.message_id, e.trace_id)
ORDER BY event_time, source_line
