//! Parsed records and the Arrow builders that turn them into `RecordBatch`es of the
//! schemas in [`crate::schema`]. Parsers fill a record per event; the sink hands it to
//! the builder of its day.
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, DictionaryArray, Int32Array, Int32Builder, Int64Builder, StringArray, StringBuilder,
    TimestampMicrosecondBuilder,
};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::datatypes::Int32Type;
use datafusion::arrow::record_batch::RecordBatch;

use crate::schema as schema_cols;
use crate::schema::Source;

/// Where a row came from (CTL-5 evidence): format, file and line.
#[derive(Debug, Clone)]
pub struct Provenance {
    /// The parser's format name.
    pub format: &'static str,
    /// The absolute path of the input file.
    pub file: Arc<str>,
}

/// A parsed event of some source.
pub trait Record {
    /// The event time, UTC microseconds since the epoch.
    fn event_time(&self) -> i64;
}

/// Accumulates records of one source into Arrow arrays.
pub trait Batcher: Send + 'static {
    /// The record type this builder takes.
    type Rec<'a>: Record;
    /// The source whose schema the batches have.
    const SOURCE: Source;
    /// An empty builder with room for `capacity` rows.
    fn with_capacity(capacity: usize) -> Self;
    /// Appends one record found at `line`.
    fn push(&mut self, rec: &Self::Rec<'_>, prov: &Provenance, line: u64);
    /// Rows appended since the last `finish`.
    fn len(&self) -> usize;
    /// True when no rows wait.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Takes the waiting rows as a batch and starts over.
    fn finish(&mut self) -> RecordBatch;
}

fn batch(source: Source, columns: Vec<ArrayRef>) -> RecordBatch {
    let schema = source.schema();
    // The builders are written against the schema in this same file; a mismatch is a bug
    // caught by the unit tests below, never by input.
    RecordBatch::try_new(schema, columns).expect("record builders match their schema (this is a bug)")
}

/// Provenance columns, appended to every source's builder.
struct ProvBuilder {
    rows: usize,
    line: Int64Builder,
    /// The file and format of the rows so far (a batch never mixes files).
    current: Option<Provenance>,
}

impl ProvBuilder {
    fn new(cap: usize) -> Self {
        ProvBuilder { rows: 0, line: Int64Builder::with_capacity(cap), current: None }
    }
    fn push(&mut self, prov: &Provenance, line: u64) {
        if self.current.is_none() {
            self.current = Some(prov.clone());
        }
        self.rows += 1;
        self.line.append_value(line as i64);
    }
    fn finish(&mut self, cols: &mut Vec<ArrayRef>) {
        // The same file for every row: one dictionary value and a key per row.
        let (format, file) =
            self.current.take().map(|p| (p.format.to_string(), p.file.to_string())).unwrap_or_default();
        let keys = Int32Array::from(vec![0; self.rows]);
        let dict = |v: String| -> ArrayRef {
            Arc::new(
                DictionaryArray::<Int32Type>::try_new(keys.clone(), Arc::new(StringArray::from(vec![v])))
                    .expect("one value, keys 0 (this is a bug)"),
            )
        };
        cols.push(dict(format));
        cols.push(dict(file));
        cols.push(Arc::new(self.line.finish()));
        self.rows = 0;
    }
}

fn ts_builder(cap: usize) -> TimestampMicrosecondBuilder {
    TimestampMicrosecondBuilder::with_capacity(cap).with_timezone("UTC")
}

/// One sign-in event.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SigninRecord {
    pub event_time: i64,
    pub user: Option<String>,
    pub ip: Option<String>,
    pub success: Option<bool>,
    pub error_code: Option<i64>,
    pub failure_reason: Option<String>,
    pub app: Option<String>,
    pub client_app: Option<String>,
    pub conditional_access: Option<String>,
    pub interactive: Option<bool>,
    pub source_country: Option<String>,
    pub log_category: Option<String>,
    pub request_id: Option<String>,
    /// `user`, `service principal` or `managed identity` (schema::PRINCIPAL_TYPE).
    pub principal_type: Option<&'static str>,
    pub principal_id: Option<String>,
    /// The sign-ins a summarised row stands for (schema::SIGNIN_COUNT).
    pub signin_count: Option<i64>,
}

/// `principal_type` of a person's sign-in.
pub const PRINCIPAL_USER: &str = "user";
/// `principal_type` of an application signing in with its own secret or certificate.
pub const PRINCIPAL_SERVICE: &str = "service principal";
/// `principal_type` of an Azure resource signing in with a managed identity.
pub const PRINCIPAL_MANAGED: &str = "managed identity";

impl Record for SigninRecord {
    fn event_time(&self) -> i64 {
        self.event_time
    }
}

/// Builds sign-in batches.
pub struct SigninBatcher {
    rows: usize,
    event_time: TimestampMicrosecondBuilder,
    text: [StringBuilder; 11],
    success: BooleanBuilder,
    error_code: Int64Builder,
    interactive: BooleanBuilder,
    signin_count: Int64Builder,
    prov: ProvBuilder,
}

impl Batcher for SigninBatcher {
    type Rec<'a> = SigninRecord;
    const SOURCE: Source = Source::Signin;

    fn with_capacity(cap: usize) -> Self {
        SigninBatcher {
            rows: 0,
            event_time: ts_builder(cap),
            text: std::array::from_fn(|_| StringBuilder::with_capacity(cap, cap * 16)),
            success: BooleanBuilder::with_capacity(cap),
            error_code: Int64Builder::with_capacity(cap),
            interactive: BooleanBuilder::with_capacity(cap),
            signin_count: Int64Builder::with_capacity(cap),
            prov: ProvBuilder::new(cap),
        }
    }

    fn push(&mut self, r: &SigninRecord, prov: &Provenance, line: u64) {
        self.rows += 1;
        self.event_time.append_value(r.event_time);
        let [user, ip, reason, app, client_app, ca, country, category, request_id, principal_type, principal_id] =
            &mut self.text;
        user.append_option(r.user.as_deref());
        ip.append_option(r.ip.as_deref());
        self.success.append_option(r.success);
        self.error_code.append_option(r.error_code);
        reason.append_option(r.failure_reason.as_deref());
        app.append_option(r.app.as_deref());
        client_app.append_option(r.client_app.as_deref());
        ca.append_option(r.conditional_access.as_deref());
        self.interactive.append_option(r.interactive);
        country.append_option(r.source_country.as_deref());
        category.append_option(r.log_category.as_deref());
        request_id.append_option(r.request_id.as_deref());
        principal_type.append_option(r.principal_type);
        principal_id.append_option(r.principal_id.as_deref());
        self.signin_count.append_option(r.signin_count);
        self.prov.push(prov, line);
    }

    fn len(&self) -> usize {
        self.rows
    }

    fn finish(&mut self) -> RecordBatch {
        self.rows = 0;
        let [user, ip, reason, app, client_app, ca, country, category, request_id, principal_type, principal_id] =
            &mut self.text;
        let mut cols: Vec<ArrayRef> = vec![
            Arc::new(self.event_time.finish()),
            Arc::new(user.finish()),
            Arc::new(ip.finish()),
            Arc::new(self.success.finish()),
            Arc::new(self.error_code.finish()),
            Arc::new(reason.finish()),
            Arc::new(app.finish()),
            Arc::new(client_app.finish()),
            Arc::new(ca.finish()),
            Arc::new(self.interactive.finish()),
            Arc::new(country.finish()),
            Arc::new(category.finish()),
            Arc::new(request_id.finish()),
            Arc::new(principal_type.finish()),
            Arc::new(principal_id.finish()),
            Arc::new(self.signin_count.finish()),
        ];
        // Placed by the GeoIP stage on the writer thread; NULL until then.
        let rows = cols[0].len();
        let schema = Source::Signin.schema();
        for name in [
            schema_cols::GEO_COUNTRY,
            schema_cols::GEO_OUTCOME,
            schema_cols::GEO_CITY,
            schema_cols::GEO_NETWORK,
            schema_cols::GEO_ASN,
            schema_cols::GEO_AS_ORG,
            schema_cols::GEO_DATABASE,
            schema_cols::GEO_BUILD_EPOCH,
        ] {
            let ty = schema.field_with_name(name).map(|f| f.data_type().clone()).unwrap_or(DataType::Utf8);
            cols.push(datafusion::arrow::array::new_null_array(&ty, rows));
        }
        self.prov.finish(&mut cols);
        batch(Source::Signin, cols)
    }
}

/// One mail event for one recipient.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EmailRecord {
    pub event_time: i64,
    pub message_id: Option<String>,
    pub trace_id: Option<String>,
    pub event: Option<String>,
    pub sender: Option<String>,
    pub recipient: Option<String>,
    pub recipient_type: Option<String>,
    pub recipient_count: Option<i64>,
    pub subject: Option<String>,
    pub status: Option<String>,
    pub size_bytes: Option<i64>,
    pub direction: Option<String>,
    pub client_ip: Option<String>,
    pub server_ip: Option<String>,
    pub client_host: Option<String>,
    pub submitted_by: Option<String>,
    pub sensitivity: Option<String>,
    pub attachment_names: Option<String>,
    pub mailer: Option<String>,
    pub header_from: Option<String>,
}

impl Record for EmailRecord {
    fn event_time(&self) -> i64 {
        self.event_time
    }
}

/// Builds email batches.
pub struct EmailBatcher {
    rows: usize,
    event_time: TimestampMicrosecondBuilder,
    text: [StringBuilder; 17],
    recipient_count: Int64Builder,
    size_bytes: Int64Builder,
    prov: ProvBuilder,
}

impl Batcher for EmailBatcher {
    type Rec<'a> = EmailRecord;
    const SOURCE: Source = Source::Email;

    fn with_capacity(cap: usize) -> Self {
        EmailBatcher {
            rows: 0,
            event_time: ts_builder(cap),
            text: std::array::from_fn(|_| StringBuilder::with_capacity(cap, cap * 16)),
            recipient_count: Int64Builder::with_capacity(cap),
            size_bytes: Int64Builder::with_capacity(cap),
            prov: ProvBuilder::new(cap),
        }
    }

    fn push(&mut self, r: &EmailRecord, prov: &Provenance, line: u64) {
        self.rows += 1;
        self.event_time.append_value(r.event_time);
        let t = &mut self.text;
        t[0].append_option(r.message_id.as_deref());
        t[1].append_option(r.trace_id.as_deref());
        t[2].append_option(r.event.as_deref());
        t[3].append_option(r.sender.as_deref());
        t[4].append_option(r.recipient.as_deref());
        t[5].append_option(r.recipient_type.as_deref());
        self.recipient_count.append_option(r.recipient_count);
        t[6].append_option(r.subject.as_deref());
        t[7].append_option(r.status.as_deref());
        self.size_bytes.append_option(r.size_bytes);
        t[8].append_option(r.direction.as_deref());
        t[9].append_option(r.client_ip.as_deref());
        t[10].append_option(r.server_ip.as_deref());
        t[11].append_option(r.client_host.as_deref());
        t[12].append_option(r.submitted_by.as_deref());
        t[13].append_option(r.sensitivity.as_deref());
        t[14].append_option(r.attachment_names.as_deref());
        t[15].append_option(r.mailer.as_deref());
        t[16].append_option(r.header_from.as_deref());
        self.prov.push(prov, line);
    }

    fn len(&self) -> usize {
        self.rows
    }

    fn finish(&mut self) -> RecordBatch {
        self.rows = 0;
        let t = &mut self.text;
        let mut cols: Vec<ArrayRef> = vec![Arc::new(self.event_time.finish())];
        for b in t.iter_mut().take(6) {
            cols.push(Arc::new(b.finish()));
        }
        cols.push(Arc::new(self.recipient_count.finish()));
        cols.push(Arc::new(t[6].finish()));
        cols.push(Arc::new(t[7].finish()));
        cols.push(Arc::new(self.size_bytes.finish()));
        for b in t.iter_mut().skip(8) {
            cols.push(Arc::new(b.finish()));
        }
        self.prov.finish(&mut cols);
        batch(Source::Email, cols)
    }
}

/// One web request. Borrows its text from the input line: the web logs are the big ones.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WebRecord<'a> {
    pub event_time: i64,
    pub client_ip: Option<&'a str>,
    pub user: Option<&'a str>,
    pub method: Option<&'a str>,
    pub url: Option<&'a str>,
    /// Lower-cased by the builder.
    pub host: Option<&'a str>,
    pub path: Option<&'a str>,
    pub http_status: Option<i32>,
    pub bytes: Option<i64>,
    pub elapsed_ms: Option<i64>,
    pub cache_result: Option<&'a str>,
    pub hierarchy: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub referer: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    /// The web filter's own category (FortiGate, Sophos).
    pub vendor_category: Option<&'a str>,
}

impl Record for WebRecord<'_> {
    fn event_time(&self) -> i64 {
        self.event_time
    }
}

/// Builds web batches.
pub struct WebBatcher {
    rows: usize,
    event_time: TimestampMicrosecondBuilder,
    text: [StringBuilder; 12],
    http_status: Int32Builder,
    bytes: Int64Builder,
    elapsed: Int64Builder,
    prov: ProvBuilder,
    lower: String,
}

impl Batcher for WebBatcher {
    type Rec<'a> = WebRecord<'a>;
    const SOURCE: Source = Source::Web;

    fn with_capacity(cap: usize) -> Self {
        WebBatcher {
            rows: 0,
            event_time: ts_builder(cap),
            text: std::array::from_fn(|_| StringBuilder::with_capacity(cap, cap * 24)),
            http_status: Int32Builder::with_capacity(cap),
            bytes: Int64Builder::with_capacity(cap),
            elapsed: Int64Builder::with_capacity(cap),
            prov: ProvBuilder::new(cap),
            lower: String::new(),
        }
    }

    fn push(&mut self, r: &WebRecord<'_>, prov: &Provenance, line: u64) {
        self.rows += 1;
        self.event_time.append_value(r.event_time);
        let t = &mut self.text;
        t[0].append_option(r.client_ip);
        t[1].append_option(r.user);
        t[2].append_option(r.method);
        t[3].append_option(r.url);
        match r.host {
            Some(h) if h.bytes().any(|b| b.is_ascii_uppercase()) => {
                self.lower.clear();
                self.lower.push_str(h);
                self.lower.make_ascii_lowercase();
                t[4].append_value(&self.lower);
            }
            other => t[4].append_option(other),
        }
        t[5].append_option(r.path);
        self.http_status.append_option(r.http_status);
        self.bytes.append_option(r.bytes);
        self.elapsed.append_option(r.elapsed_ms);
        t[6].append_option(r.cache_result);
        t[7].append_option(r.hierarchy);
        t[8].append_option(r.content_type);
        t[9].append_option(r.referer);
        t[10].append_option(r.user_agent);
        t[11].append_option(r.vendor_category);
        self.prov.push(prov, line);
    }

    fn len(&self) -> usize {
        self.rows
    }

    fn finish(&mut self) -> RecordBatch {
        self.rows = 0;
        let t = &mut self.text;
        let mut cols: Vec<ArrayRef> = vec![Arc::new(self.event_time.finish())];
        for b in t.iter_mut().take(6) {
            cols.push(Arc::new(b.finish()));
        }
        cols.push(Arc::new(self.http_status.finish()));
        cols.push(Arc::new(self.bytes.finish()));
        cols.push(Arc::new(self.elapsed.finish()));
        for b in t.iter_mut().skip(6) {
            cols.push(Arc::new(b.finish()));
        }
        self.prov.finish(&mut cols);
        batch(Source::Web, cols)
    }
}

pub use crate::schema::normalise_address;

/// `None` for the empty string and the `-` logs write for "unknown".
pub fn non_empty(raw: &str) -> Option<&str> {
    let t = raw.trim();
    if t.is_empty() || t == "-" { None } else { Some(t) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prov() -> Provenance {
        Provenance { format: "test", file: Arc::from("/tmp/x.log") }
    }

    #[test]
    fn builders_produce_batches_of_their_schema() {
        let mut s = SigninBatcher::with_capacity(4);
        s.push(&SigninRecord { event_time: 1, user: Some("a@b".into()), ..Default::default() }, &prov(), 3);
        let b = s.finish();
        assert_eq!(b.num_rows(), 1);
        assert_eq!(b.schema(), Source::Signin.schema());
        assert!(s.is_empty());

        let mut e = EmailBatcher::with_capacity(4);
        e.push(&EmailRecord { event_time: 1, size_bytes: Some(5), ..Default::default() }, &prov(), 1);
        e.push(&EmailRecord::default(), &prov(), 2);
        assert_eq!(e.finish().num_rows(), 2);

        let mut w = WebBatcher::with_capacity(4);
        w.push(&WebRecord { host: Some("WWW.Example.COM"), ..Default::default() }, &prov(), 1);
        let b = w.finish();
        let host = b.column_by_name(crate::schema::HOST).unwrap();
        let host = host.as_any().downcast_ref::<datafusion::arrow::array::StringArray>().unwrap();
        assert_eq!(host.value(0), "www.example.com");
    }

    #[test]
    fn addresses_are_normalised() {
        assert_eq!(normalise_address(" <Jan.Peeters@School.BE> "), Some("jan.peeters@school.be".into()));
        assert_eq!(normalise_address("<>"), None);
        assert_eq!(normalise_address("-"), None);
    }
}
