-- id: web_download_executable
-- purpose: a            (art. 7.1 a-f)
-- requirement: WEB-4
-- severity: medium
-- mode: automated
-- summary.en: A download of an executable or installer, or from a download or warez site.
-- summary.nl: Een download van een uitvoerbaar bestand of installatieprogramma, of van een download- of warezsite.
-- summary.fr: Un téléchargement d'un exécutable ou d'un programme d'installation, ou depuis un site de téléchargement ou de warez.
--
-- WEB-4 (003 art. 5.7d-e): downloads unrelated to study or work, installing software
-- without permission. A successful request (status below 400) whose URL path ends in one
-- of [web] download_extensions, or any request to the UT1 categories of [web] downloads.
-- One row per person, site, reason and school day; the row names the extension or the
-- category, never the path.
WITH d AS (
  SELECT w.*,
    web_category(w.host, w.path, 'downloads') AS category,
    CASE WHEN coalesce(w.http_status, 0) < 400 THEN x.value END AS ext
  FROM web w
  LEFT JOIN (SELECT value FROM lists WHERE list = 'download_extension') x ON x.value = extension(w.path)
)
SELECT
  coalesce(d."user", d.client_ip) AS person,
  coalesce(d.category, 'extension ' || d.ext) AS reason,
  local_date(d.event_time) AS local_day,
  min(d.event_time) AS event_time,
  count(*) AS requests,
  min(d.source_file) AS source_file,
  min(d.source_line) AS source_line
FROM d
WHERE d.category IS NOT NULL OR d.ext IS NOT NULL
GROUP BY coalesce(d."user", d.client_ip), d.host, coalesce(d.category, 'extension ' || d.ext), local_date(d.event_time)
ORDER BY event_time, source_line
