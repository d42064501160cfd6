//! GeoIP placement of sign-in addresses (GEO-1..GEO-4) with a MaxMind-format database.
//!
//! Reads both record layouts: GeoIP2/GeoLite2 Country and City keep the code at
//! `country.iso_code` (else `registered_country.iso_code`); the CC0 `geo-whois-asn-country`
//! database keeps it at a top-level `country_code`. Private, loopback, link-local, CGNAT,
//! documentation and other reserved addresses are `private` before any lookup (a database
//! may place them: the CC0 one puts 2001:db8::/32 in JP); addresses the database does not
//! know are `unknown`. Neither is ever treated as allowed.
//!
//! The database is read into memory once per run (`open_readfile`): the crate forbids
//! `unsafe`, which memory-mapping needs. The built-in database is compiled into the binary.
use std::borrow::Cow;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, Int64Array, Int64Builder, StringArray, StringBuilder};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::record_batch::RecordBatch;
use maxminddb::Reader;

use crate::schema;
use serde::Deserialize;

/// The built-in database (fixtures/geoip/README.md).
pub const BUILTIN_NAME: &str = "geo-whois-asn-country.mmdb";
/// Where `logwacht geoip update` puts a school's own database, under `reference/`.
pub const UPDATED_DATABASE: &str = "geoip.mmdb";
static BUILTIN: &[u8] = include_bytes!("../../fixtures/geoip/geo-whois-asn-country.mmdb");

/// Why a database cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    /// The file is missing or unreadable.
    #[error("GeoIP database {path}: cannot read it")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Not a valid MaxMind DB.
    #[error("GeoIP database {path} is not a valid MaxMind DB file: {message}")]
    Invalid { path: String, message: String },
    /// A valid database of a kind that holds no countries.
    #[error(
        "GeoIP database {path} is of type {kind:?}; logwacht needs a Country or City database (GeoLite2-Country, GeoIP2-Country, GeoIP2-City, geo-whois-asn-country)"
    )]
    WrongType { path: String, kind: String },
    /// The ASN setting names a database that holds no autonomous systems.
    #[error("ASN database {path} is of type {kind:?}; [geo] asn_database needs GeoLite2-ASN or GeoIP2-ISP")]
    WrongAsnType { path: String, kind: String },
}

/// Where an address was placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// An ISO 3166-1 alpha-2 code.
    Country(String),
    /// Private, loopback, link-local, CGNAT, documentation or otherwise reserved.
    Private,
    /// A public address the database does not place.
    Unknown,
    /// Not an IP address at all.
    Invalid,
}

impl Placement {
    /// The outcome column's value.
    pub fn outcome(&self) -> &'static str {
        match self {
            Placement::Country(_) => "placed",
            Placement::Private => "private",
            Placement::Unknown => "unknown",
            Placement::Invalid => "invalid",
        }
    }

    /// The country, if placed.
    pub fn country(&self) -> Option<&str> {
        match self {
            Placement::Country(c) => Some(c),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
struct Iso<'a> {
    #[serde(borrow)]
    iso_code: Option<&'a str>,
}

#[derive(Deserialize)]
struct Names<'a> {
    #[serde(borrow)]
    en: Option<&'a str>,
}

#[derive(Deserialize)]
struct City<'a> {
    #[serde(borrow)]
    names: Option<Names<'a>>,
}

#[derive(Deserialize)]
struct CountryRecord<'a> {
    #[serde(borrow)]
    city: Option<City<'a>>,
    #[serde(borrow)]
    country: Option<Iso<'a>>,
    #[serde(borrow)]
    registered_country: Option<Iso<'a>>,
    #[serde(borrow)]
    country_code: Option<&'a str>,
}

/// An open database with a per-run cache of repeated addresses.
pub struct GeoIp {
    reader: Arc<Reader<Cow<'static, [u8]>>>,
    /// The database's file name (recorded per row).
    pub name: String,
    /// `metadata.database_type`.
    pub database_type: String,
    /// `metadata.build_epoch` (recorded per row).
    pub build_epoch: u64,
    cache: HashMap<String, Placed>,
    asn: Option<Arc<Asn>>,
}

#[derive(Deserialize)]
struct AsnRecord<'a> {
    autonomous_system_number: Option<u32>,
    #[serde(borrow)]
    autonomous_system_organization: Option<&'a str>,
}

/// An optional ASN database (GeoLite2-ASN, GeoIP2-ISP): the network's autonomous system.
pub struct Asn {
    reader: Arc<Reader<Cow<'static, [u8]>>>,
    /// File name.
    pub name: String,
}

impl Asn {
    /// Opens an ASN database; a database of another type is refused.
    pub fn open(path: &Path) -> Result<Asn, GeoError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| GeoError::Read { path: shown.clone(), source })?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or(shown);
        let invalid = |e: maxminddb::MaxMindDbError| GeoError::Invalid { path: name.clone(), message: e.to_string() };
        let reader = Reader::from_source(Cow::Owned(bytes)).map_err(invalid)?;
        reader.verify().map_err(invalid)?;
        let kind = reader.metadata().database_type.clone();
        if !(kind.contains("ASN") || kind.contains("ISP")) {
            return Err(GeoError::WrongAsnType { path: name, kind });
        }
        Ok(Asn { reader: Arc::new(reader), name })
    }

    /// The autonomous system number and organisation of an address, if known.
    pub fn lookup(&self, ip: IpAddr) -> (Option<u32>, Option<String>) {
        let rec = self.reader.lookup(ip).ok().and_then(|r| r.decode::<AsnRecord<'_>>().ok().flatten());
        rec.map(|r| (r.autonomous_system_number, r.autonomous_system_organization.map(str::to_string)))
            .unwrap_or((None, None))
    }
}

/// A placement with what a City database adds and the matched network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// Country, private, unknown or invalid.
    pub placement: Placement,
    /// The city (English name), with a City database.
    pub city: Option<String>,
    /// The database network that matched, e.g. `81.240.0.0/14`.
    pub network: Option<String>,
    /// The autonomous system number, with an ASN database.
    pub asn: Option<u32>,
    /// The autonomous system's organisation, with an ASN database.
    pub as_org: Option<String>,
}

impl std::fmt::Debug for GeoIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeoIp")
            .field("name", &self.name)
            .field("database_type", &self.database_type)
            .field("build_epoch", &self.build_epoch)
            .finish()
    }
}

impl GeoIp {
    /// The built-in CC0 database.
    pub fn builtin() -> Result<GeoIp, GeoError> {
        Self::from_bytes(Cow::Borrowed(BUILTIN), BUILTIN_NAME)
    }

    /// Opens the workspace's GeoIP database (`[geo] database`, else the one `geoip update`
    /// put in `reference/geoip.mmdb`, else the built-in one), with its ASN database when one
    /// is set.
    pub fn configured(config: &crate::config::Config) -> Result<GeoIp, GeoError> {
        let updated = config.reference_dir.join(UPDATED_DATABASE);
        let geo = match &config.geoip_database {
            Some(p) => GeoIp::open(p)?,
            // `logwacht geoip update` put a current database here.
            None if updated.is_file() => GeoIp::open(&updated)?,
            None => GeoIp::builtin()?,
        };
        match &config.asn_database {
            Some(p) => Ok(geo.with_asn(Asn::open(p)?)),
            None => Ok(geo),
        }
    }

    /// A database file (GeoLite2-Country, GeoIP2-Country or -City, or another MMDB with a
    /// country code).
    pub fn open(path: &Path) -> Result<GeoIp, GeoError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| GeoError::Read { path: shown.clone(), source })?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or(shown);
        Self::from_bytes(Cow::Owned(bytes), &name)
    }

    fn from_bytes(bytes: Cow<'static, [u8]>, name: &str) -> Result<GeoIp, GeoError> {
        let invalid =
            |e: maxminddb::MaxMindDbError| GeoError::Invalid { path: name.to_string(), message: e.to_string() };
        let reader = Reader::from_source(bytes).map_err(invalid)?;
        // A damaged search tree or data section is found here, not at the first lookup. The
        // one deviation tolerated is an empty `description` map, which the CC0 database has
        // and which says nothing about its data.
        if let Err(e) = reader.verify() {
            let text = e.to_string();
            if !text.contains("description") || !text.contains("non-empty map") {
                return Err(invalid(e));
            }
        }
        let meta = reader.metadata();
        let kind = meta.database_type.to_ascii_lowercase();
        if !(kind.contains("country") || kind.contains("city")) {
            return Err(GeoError::WrongType { path: name.to_string(), kind: meta.database_type.clone() });
        }
        Ok(GeoIp {
            database_type: meta.database_type.clone(),
            build_epoch: meta.build_epoch,
            reader: Arc::new(reader),
            name: name.to_string(),
            cache: HashMap::new(),
            asn: None,
        })
    }

    /// Another handle on the same database, with a cache of its own (one per writer thread).
    pub fn fork(&self) -> GeoIp {
        GeoIp {
            reader: Arc::clone(&self.reader),
            name: self.name.clone(),
            database_type: self.database_type.clone(),
            build_epoch: self.build_epoch,
            cache: HashMap::new(),
            asn: self.asn.clone(),
        }
    }

    /// Adds the placement columns to a sign-in batch: `geo_country`, `geo_outcome`, and
    /// the database and build that placed each row, so a finding can be explained later
    /// even when the database changes.
    pub fn place_batch(&mut self, batch: &RecordBatch) -> Result<RecordBatch, ArrowError> {
        let schema = batch.schema();
        let n = batch.num_rows();
        let ips = batch.column_by_name(schema::IP).and_then(|c| c.as_any().downcast_ref::<StringArray>());
        let mut country = StringBuilder::with_capacity(n, n * 2);
        let mut outcome = StringBuilder::with_capacity(n, n * 7);
        let mut city = StringBuilder::with_capacity(n, n);
        let mut network = StringBuilder::with_capacity(n, n * 12);
        let mut asn = Int64Builder::with_capacity(n);
        let mut as_org = StringBuilder::with_capacity(n, n);
        for i in 0..n {
            match ips.filter(|a| a.is_valid(i)).map(|a| self.lookup_detail(a.value(i))) {
                Some(p) => {
                    country.append_option(p.placement.country());
                    outcome.append_value(p.placement.outcome());
                    city.append_option(p.city.as_deref());
                    network.append_option(p.network.as_deref());
                    asn.append_option(p.asn.map(i64::from));
                    as_org.append_option(p.as_org.as_deref());
                }
                None => {
                    country.append_null();
                    outcome.append_value("unknown");
                    city.append_null();
                    network.append_null();
                    asn.append_null();
                    as_org.append_null();
                }
            }
        }
        let mut cols = batch.columns().to_vec();
        let put = |cols: &mut Vec<ArrayRef>, name: &str, a: ArrayRef| -> Result<(), ArrowError> {
            let i = schema.index_of(name)?;
            cols[i] = a;
            Ok(())
        };
        put(&mut cols, schema::GEO_COUNTRY, Arc::new(country.finish()))?;
        put(&mut cols, schema::GEO_OUTCOME, Arc::new(outcome.finish()))?;
        put(&mut cols, schema::GEO_CITY, Arc::new(city.finish()))?;
        put(&mut cols, schema::GEO_NETWORK, Arc::new(network.finish()))?;
        put(&mut cols, schema::GEO_ASN, Arc::new(asn.finish()))?;
        put(&mut cols, schema::GEO_AS_ORG, Arc::new(as_org.finish()))?;
        put(&mut cols, schema::GEO_DATABASE, Arc::new(StringArray::from(vec![self.name.as_str(); n])))?;
        put(&mut cols, schema::GEO_BUILD_EPOCH, Arc::new(Int64Array::from(vec![self.build_epoch as i64; n])))?;
        RecordBatch::try_new(schema.clone(), cols)
    }

    /// Adds an ASN database: every placement then carries the autonomous system too.
    pub fn with_asn(mut self, asn: Asn) -> GeoIp {
        self.asn = Some(Arc::new(asn));
        self.cache.clear();
        self
    }

    /// Places an address as a log wrote it.
    pub fn lookup(&mut self, text: &str) -> Placement {
        self.lookup_detail(text).placement
    }

    /// Places an address, with city and network where the database has them. Repeated
    /// addresses come from a cache (a run sees the same school and home addresses often).
    pub fn lookup_detail(&mut self, text: &str) -> Placed {
        if let Some(p) = self.cache.get(text) {
            return p.clone();
        }
        let p = self.place(text);
        if self.cache.len() < 1_000_000 {
            self.cache.insert(text.to_string(), p.clone());
        }
        p
    }

    fn place(&self, text: &str) -> Placed {
        let bare = |placement| Placed { placement, city: None, network: None, asn: None, as_org: None };
        let Some(ip) = parse_ip(text) else { return bare(Placement::Invalid) };
        if is_private(ip) {
            return bare(Placement::Private);
        }
        let Ok(result) = self.reader.lookup(ip) else { return bare(Placement::Unknown) };
        let network = result.network().ok().map(|n| n.to_string());
        let Ok(Some(rec)) = result.decode::<CountryRecord<'_>>() else {
            return Placed { placement: Placement::Unknown, city: None, network, asn: None, as_org: None };
        };
        let (asn, as_org) = self.asn.as_ref().map(|a| a.lookup(ip)).unwrap_or((None, None));
        let code = rec
            .country_code
            .or(rec.country.and_then(|c| c.iso_code))
            .or(rec.registered_country.and_then(|c| c.iso_code));
        let city = rec.city.and_then(|c| c.names).and_then(|n| n.en).map(str::to_string);
        match code {
            Some(c) if c.len() == 2 => {
                Placed { placement: Placement::Country(c.to_ascii_uppercase()), city, network, asn, as_org }
            }
            _ => Placed { placement: Placement::Unknown, city, network, asn, as_org },
        }
    }
}

/// An IP as logs write it: plain, `[v6]`, with a port, or with a zone.
pub fn parse_ip(text: &str) -> Option<IpAddr> {
    let t = text.trim();
    if let Ok(ip) = t.parse() {
        return Some(ip);
    }
    let t = t.strip_prefix('[').map(|r| r.split(']').next().unwrap_or(r)).unwrap_or(t);
    let t = t.split('%').next().unwrap_or(t);
    if let Ok(ip) = t.parse() {
        return Some(ip);
    }
    // a.b.c.d:port
    t.rsplit_once(':').and_then(|(h, _)| h.parse::<Ipv4Addr>().ok()).map(IpAddr::V4)
}

/// True for addresses no database should place (RFC 1918, 6598, 5737, 3849, 4193, ...).
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_private(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return v4_private(v4);
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation 2001:db8::/32
                || (s[0] == 0x0064 && s[1] == 0xff9b) // NAT64 64:ff9b::/96
                || v6 == Ipv6Addr::UNSPECIFIED
        }
    }
}

fn v4_private(v4: Ipv4Addr) -> bool {
    let o = v4.octets();
    v4.is_private()
        || v4.is_loopback()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || v4.is_documentation()
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // CGNAT 100.64.0.0/10
        || o[0] >= 240 // reserved
        || o[0] == 0
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF 192.0.0.0/24
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking 198.18.0.0/15
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maxmind_test(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/geoip/maxmind-test").join(name)
    }

    #[test]
    fn the_builtin_database_places_belgium_and_its_neighbours_and_beyond() {
        let mut g = GeoIp::builtin().unwrap();
        assert!(g.build_epoch > 1_700_000_000);
        let cases = [
            ("81.246.12.34", "BE"),
            ("84.193.1.1", "BE"),
            ("2a02:1810:4d02:8a00::1", "BE"),
            ("77.160.1.1", "NL"),
            ("145.100.1.1", "NL"),
            ("90.1.1.1", "FR"),
            ("79.192.1.1", "DE"),
            ("158.64.1.1", "LU"),
            ("3.80.12.7", "US"),
            ("1.80.1.1", "CN"),
        ];
        for (ip, want) in cases {
            assert_eq!(g.lookup(ip), Placement::Country(want.into()), "{ip}");
        }
    }

    #[test]
    fn reserved_addresses_are_private_before_any_lookup() {
        let mut g = GeoIp::builtin().unwrap();
        for ip in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.1.1",
            "100.64.0.1",
            "100.127.255.254",
            "192.0.2.7",
            "198.51.100.4",
            "203.0.113.9",
            "::1",
            "fe80::1",
            "fd00::1",
            "2001:db8::1",
            "::ffff:10.0.0.1",
            "0.0.0.0",
        ] {
            assert_eq!(g.lookup(ip), Placement::Private, "{ip}");
        }
        // 100.128.0.1 is just outside CGNAT: public.
        assert_ne!(g.lookup("100.128.0.1"), Placement::Private);
        assert_eq!(g.lookup("not-an-ip"), Placement::Invalid);
        assert_eq!(g.lookup("[2a02:1810:4d02:8a00::1]:443"), Placement::Country("BE".into()));
        assert_eq!(g.lookup("81.246.12.34:51234"), Placement::Country("BE".into()));
    }

    #[test]
    fn maxmind_layouts_are_read_with_the_registered_country_as_fallback() {
        let mut g = GeoIp::open(&maxmind_test("GeoIP2-Country-Test.mmdb")).unwrap();
        assert_eq!(g.database_type, "GeoIP2-Country");
        assert_eq!(g.lookup("2.125.160.216"), Placement::Country("GB".into()));
        assert_eq!(g.lookup("89.160.20.112"), Placement::Country("SE".into()));
        assert_eq!(g.lookup("2001:218::1"), Placement::Country("JP".into()));
        // Not in the tiny test database.
        assert_eq!(g.lookup("8.8.8.8"), Placement::Unknown);
        let mut city = GeoIp::open(&maxmind_test("GeoIP2-City-Test.mmdb")).unwrap();
        assert_eq!(city.lookup("81.2.69.160"), Placement::Country("GB".into()));
        let d = city.lookup_detail("81.2.69.160");
        assert_eq!((d.city.as_deref(), d.network.as_deref()), (Some("London"), Some("81.2.69.160/27")));
        let b = GeoIp::builtin().unwrap().lookup_detail("81.246.12.34");
        assert!(b.city.is_none() && b.network.as_deref().is_some_and(|n| n.contains('/')), "{b:?}");
        let mut lite = GeoIp::open(&maxmind_test("GeoLite2-Country-Test.mmdb")).unwrap();
        assert_eq!(lite.lookup("216.160.83.56"), Placement::Country("US".into()));
    }

    #[test]
    fn an_asn_database_adds_the_autonomous_system() {
        let asn = Asn::open(&maxmind_test("GeoLite2-ASN-Test.mmdb")).unwrap();
        let mut g = GeoIp::open(&maxmind_test("GeoIP2-City-Test.mmdb")).unwrap().with_asn(asn);
        let d = g.lookup_detail("2.125.160.216");
        assert_eq!(d.placement, Placement::Country("GB".into()));
        let asn = Asn::open(&maxmind_test("GeoLite2-ASN-Test.mmdb")).unwrap();
        assert_eq!(asn.lookup("1.128.0.1".parse().unwrap()), (Some(1221), Some("Telstra Pty Ltd".into())));
        assert_eq!(asn.lookup("12.81.92.1".parse().unwrap()).0, Some(7018));
        let err = Asn::open(&maxmind_test("GeoIP2-Country-Test.mmdb")).err().unwrap();
        assert!(matches!(err, GeoError::WrongAsnType { .. }), "{err}");
    }

    #[test]
    fn broken_missing_and_wrong_databases_are_clear_errors() {
        for broken in ["GeoIP2-City-Test-Broken-Double-Format.mmdb", "GeoIP2-City-Test-Invalid-Node-Count.mmdb"] {
            let err = GeoIp::open(&maxmind_test(broken)).err().unwrap_or_else(|| panic!("{broken} opened"));
            assert!(matches!(err, GeoError::Invalid { .. }), "{broken}: {err}");
        }
        let err = GeoIp::open(Path::new("/nonexistent/GeoLite2-Country.mmdb")).err().unwrap();
        assert!(err.to_string().contains("cannot read"), "{err}");
        for wrong in ["GeoLite2-ASN-Test.mmdb", "GeoIP2-Anonymous-IP-Test.mmdb"] {
            let err = GeoIp::open(&maxmind_test(wrong)).err().unwrap();
            assert!(matches!(err, GeoError::WrongType { .. }), "{wrong}: {err}");
            assert!(err.to_string().contains("Country or City"), "{err}");
        }
    }
}
