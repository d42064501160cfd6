-- id: case_web
-- purpose: case           (the purpose of the case it runs for: a-e)
-- requirement: CTL-4, CTL-5
-- severity: info
-- mode: case              (logwacht's own: run for one case, $1 = its subject)
-- summary.en: The subject's web requests in the case window, with their category and extension.
-- summary.nl: De webverzoeken van de betrokkene in de periode van het dossier, met categorie en extensie.
SELECT w.event_time, w."user", w.host, w.path, w.url, w.http_status,
       coalesce(web_category(w.host, w.path, 'malware'),
                web_category(w.host, w.path, 'forbidden'),
                web_category(w.host, w.path, 'circumvention'),
                web_category(w.host, w.path, 'downloads'),
                web_category(w.host, w.path, 'leisure')) AS category,
       extension(w.path) AS ext,
       w.source_file, w.source_line
FROM web w
WHERE w."user" = $1
ORDER BY w.event_time, w.source_line
