-- id: signin_workload_outside_allowed_countries
-- purpose: e            (art. 7.1 a-f)
-- requirement: GEO-1, GEO-4
-- severity: high
-- mode: automated
-- summary.en: An app (service principal) or Azure resource (managed identity) signed in from outside the allowed countries and the school's own workload networks.
-- summary.nl: Een app (service principal) of Azure-resource (managed identity) meldde zich aan van buiten de toegelaten landen en de eigen werkbelastingnetwerken van de school.
--
-- GEO-1 (000 par. 6.5) for workloads: an app's secret or certificate used from abroad is
-- a compromised credential until shown otherwise. A workload has no travel exception; the
-- networks the school's own apps run in are `[geo] workload_networks`. GEO-4: a successful
-- sign-in is high, a failed one info, an address no database places is a review item.
-- Microsoft's own first-party apps (category MicrosoftServicePrincipalSignInLogs) run in
-- Microsoft's data centres everywhere and are left out, as are sign-ins with no address
-- at all (a managed identity inside Azure often has none: there is nothing to place).
SELECT
  s.event_time,
  s."user" AS person,
  s.principal_type,
  s.geo_country AS country,
  s.geo_outcome,
  s.success,
  CASE WHEN s.geo_outcome <> 'placed' THEN 'review' WHEN s.success THEN 'high' ELSE 'info' END AS finding_severity,
  s.geo_database,
  s.source_file,
  s.source_line
FROM signin s
WHERE s.principal_type IN ('service principal', 'managed identity')
  AND s.ip IS NOT NULL
  AND coalesce(s.log_category, '') <> 'MicrosoftServicePrincipalSignInLogs'
  AND (s.geo_outcome <> 'placed' OR s.geo_country NOT IN (SELECT country FROM allowed_countries))
  AND workload_network(s.ip) IS NULL
ORDER BY s.event_time, s.source_file, s.source_line
