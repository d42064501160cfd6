-- id: case_email
-- purpose: case           (the purpose of the case it runs for: a-e)
-- requirement: CTL-4, CTL-5, CTL-7, CTL-8
-- severity: info
-- mode: case              (logwacht's own: run for one case, $1 = its subject)
-- summary.en: The subject's mail in the case window, with what steps 1-2 screen on; protected messages marked whole.
-- summary.nl: De mail van de betrokkene in de periode van het dossier, met waarop stap 1-2 screenen; beschermde berichten helemaal gemarkeerd.
--
-- A message is protected (counted, never listed: CTL-7, CTL-8) when any of its rows is:
-- labelled personal, or sent by or to a counsellor or protected mailbox (a colleague's
-- copy of a message to a counsellor too). The labels and roles are logwacht's own lists.
SELECT e.event_time, e.sender, e.recipient, e.submitted_by, e.subject, e.mailer,
       s.role AS sender_role, r.role AS recipient_role,
       pl.value IS NOT NULL OR ps.value IS NOT NULL OR pr.value IS NOT NULL OR pm.message IS NOT NULL AS protected,
       word_match(e.subject, '*') AS word_list,
       extensions(e.attachment_names) AS exts,
       coalesce(e.message_id, e.trace_id) AS message,
       e.source_file, e.source_line
FROM email e
LEFT JOIN people s ON s.address = e.sender
LEFT JOIN people r ON r.address = e.recipient
LEFT JOIN lists pl ON pl.list = 'personal_label' AND pl.value = lower(e.sensitivity)
LEFT JOIN lists ps ON ps.list = 'protected_role' AND ps.value = s.role
LEFT JOIN lists pr ON pr.list = 'protected_role' AND pr.value = r.role
LEFT JOIN (
    SELECT DISTINCT coalesce(m.message_id, m.trace_id) AS message
    FROM email m
    LEFT JOIN people ms ON ms.address = m.sender
    LEFT JOIN people mr ON mr.address = m.recipient
    LEFT JOIN lists ml ON ml.list = 'personal_label' AND ml.value = lower(m.sensitivity)
    LEFT JOIN lists mps ON mps.list = 'protected_role' AND mps.value = ms.role
    LEFT JOIN lists mpr ON mpr.list = 'protected_role' AND mpr.value = mr.role
    WHERE ml.value IS NOT NULL OR mps.value IS NOT NULL OR mpr.value IS NOT NULL
) pm ON pm.message = coalesce(e.message_id, e.trace_id)
WHERE e.sender = $1 OR e.recipient = $1 OR e.submitted_by = $1
ORDER BY e.event_time, e.source_line
