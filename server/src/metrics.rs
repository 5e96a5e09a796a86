//! LiteLLM's Prometheus metrics (`litellm_*`, as LiteLLM 1.106 names, labels and buckets
//! them), counted per core and merged when `/metrics` is scraped.
//!
//! On the hot path `finish` adds the request to its core's table: one entry per distinct
//! series key (the key of the previous request is checked first, so a run of alike requests
//! costs one comparison, not a hash), nothing shared with other cores, no lock. Every key field is bounded
//! by the configuration (routes, model groups, deployments, statuses, error classes): a model
//! name the router does not know is labelled "other", as LiteLLM bounds it, and the
//! client's address and user agent are left out on purpose. A scrape asks every core for a
//! copy of its table over a channel, merges them, and renders each metric by projecting the
//! merged series onto that metric's labels.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use corelane_transforms::service_tier::ServiceTier as Tier;

use crate::core::Core;
use crate::errors::{ExceptionClass, CLIENT_DISCONNECTED};
use crate::exchange::{Caller, Exchange, RouteLabel};
use crate::gateway::{DeploymentKind, Gateway};
use crate::store::CustomCaller;

mod keys;
mod router;
pub use router::FallbackLog;

/// LiteLLM's `LATENCY_BUCKETS` (seconds), without `+Inf`.
const LATENCY_BUCKETS: [f64; 17] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 420.0,
    600.0,
];
/// prometheus_client's default buckets, which `litellm_deployment_latency_per_output_token`
/// uses.
const DEFAULT_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];
/// How long a scrape waits for a busy core's table.
const SCRAPE_WAIT: Duration = Duration::from_secs(2);

/// What a request's model label says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Requested {
    /// The request named no model (or failed before it was read).
    Absent,
    /// A name the router does not know (LiteLLM's "other").
    Other,
    Group(u32),
}

/// Everything that makes two requests count in different series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    route: RouteLabel,
    /// An inference route (LiteLLM's LLM routes); other routes count only auth failures.
    llm: bool,
    caller: Who,
    requested: Requested,
    deployment: Option<u32>,
    status: u16,
    failure: Option<ExceptionClass>,
    service_tier: Option<Tier>,
}

/// Who a series counts: a [`Caller`], or a caller a plugin's custom auth admitted, by its
/// place in the core's [`Callers`] (in a scrape's merge, in the scrape's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Who {
    Unknown,
    Master,
    Key(u32),
    Custom(u32),
}

/// The longest label value kept of a custom auth caller's fields (a plugin may copy a
/// client's header into one; the series live as long as the process).
const MAX_CALLER_LABEL: usize = 256;

/// A custom auth caller's labels: its `UserAPIKeyAuth` fields, each cut to
/// [`MAX_CALLER_LABEL`] bytes.
fn labels_of(auth: &serde_json::Value) -> CustomCaller {
    fn cut(s: &mut String) {
        if s.len() > MAX_CALLER_LABEL {
            let mut end = MAX_CALLER_LABEL;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            s.truncate(end);
        }
    }
    let mut caller = CustomCaller::of(auth);
    cut(&mut caller.token);
    let fields = [
        &mut caller.key_alias,
        &mut caller.user_id,
        &mut caller.team_id,
    ];
    for s in fields.into_iter().flatten() {
        cut(s);
    }
    caller
}

impl From<Caller> for Who {
    fn from(caller: Caller) -> Who {
        match caller {
            Caller::Unknown => Who::Unknown,
            Caller::Master => Who::Master,
            Caller::Key(id) => Who::Key(id),
        }
    }
}

/// The callers custom auth admitted that series name, each once. At most
/// [`MAX_CUSTOM_CALLERS`] per core: custom auth may name a new caller on every request, and
/// the series must stay bounded; the rest count as one caller whose labels are "None".
#[derive(Debug, Default)]
struct Callers {
    list: Vec<Arc<CustomCaller>>,
    index: HashMap<Arc<CustomCaller>, u32>,
}

const MAX_CUSTOM_CALLERS: usize = 4096;

/// The place of the callers past [`MAX_CUSTOM_CALLERS`].
const OTHER_CALLERS: u32 = u32::MAX;

impl Callers {
    fn intern(&mut self, caller: &CustomCaller) -> Who {
        if let Some(&i) = self.index.get(caller) {
            return Who::Custom(i);
        }
        if self.list.len() >= MAX_CUSTOM_CALLERS {
            return Who::Custom(OTHER_CALLERS);
        }
        let i = self.list.len() as u32;
        let caller = Arc::new(caller.clone());
        self.list.push(caller.clone());
        self.index.insert(caller, i);
        Who::Custom(i)
    }

    /// The caller at `i` (None past the bound).
    fn get(&self, i: u32) -> Option<&CustomCaller> {
        self.list.get(i as usize).map(|c| &**c)
    }
}

/// A latency histogram: per-bucket counts (not cumulative), the overflow, sum and count.
#[derive(Debug, Clone, Default)]
struct Histogram {
    buckets: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, bounds: &[f64], v: f64) {
        if self.buckets.is_empty() {
            self.buckets = vec![0; bounds.len() + 1];
        }
        let i = bounds.iter().position(|&b| v <= b).unwrap_or(bounds.len());
        self.buckets[i] += 1;
        self.sum += v;
        self.count += 1;
    }

    fn merge(&mut self, other: &Histogram) {
        if other.count == 0 {
            return;
        }
        if self.buckets.is_empty() {
            self.buckets = vec![0; other.buckets.len()];
        }
        for (a, b) in self.buckets.iter_mut().zip(&other.buckets) {
            *a += b;
        }
        self.sum += other.sum;
        self.count += other.count;
    }
}

/// The values of one series.
#[derive(Debug, Clone, Default)]
struct Series {
    /// Unix time the series was first seen (the `_created` samples).
    created: f64,
    requests: u64,
    total_latency: Histogram,
    llm_latency: Histogram,
    ttft: Histogram,
    overhead: Histogram,
    per_token: Histogram,
    input_tokens: u64,
    output_tokens: u64,
    spend: f64,
}

impl Series {
    /// Latencies, tokens and spend of a successful LLM request finished at `now`.
    fn observe_success(&mut self, ex: &Exchange<'_>, now: Instant) {
        let t = &ex.timings;
        let total = now.saturating_duration_since(t.received).as_secs_f64();
        let llm_time = t.upstream().as_secs_f64();
        self.total_latency.observe(&LATENCY_BUCKETS, total);
        self.llm_latency.observe(&LATENCY_BUCKETS, llm_time);
        let overhead = (total - llm_time).max(0.0);
        if overhead > 0.0 {
            self.overhead.observe(&LATENCY_BUCKETS, overhead);
        }
        let ttft = match (t.sent, t.first_token) {
            (Some(sent), Some(first)) if ex.stream => {
                let v = first.saturating_duration_since(sent).as_secs_f64();
                self.ttft.observe(&LATENCY_BUCKETS, v);
                Some(v)
            }
            _ => None,
        };
        if let Some(u) = &ex.usage {
            self.input_tokens += u.prompt_tokens;
            self.output_tokens += u.completion_tokens;
            if u.completion_tokens > 0 {
                let per = ttft.unwrap_or(llm_time) / u.completion_tokens as f64;
                self.per_token.observe(&DEFAULT_BUCKETS, per);
            }
        }
        self.spend += ex.cost(ex.usage.as_ref()).unwrap_or(0.0);
    }

    fn merge(&mut self, o: &Series) {
        self.created = if self.requests == 0 {
            o.created
        } else {
            self.created.min(o.created)
        };
        self.requests += o.requests;
        self.total_latency.merge(&o.total_latency);
        self.llm_latency.merge(&o.llm_latency);
        self.ttft.merge(&o.ttft);
        self.overhead.merge(&o.overhead);
        self.per_token.merge(&o.per_token);
        self.input_tokens += o.input_tokens;
        self.output_tokens += o.output_tokens;
        self.spend += o.spend;
    }
}

/// `litellm_deployment_state`: 0 healthy, 1 partial outage (2, complete outage, is the
/// router's: [`router`]); across cores the latest event wins (`Instant`s of one process
/// compare across threads).
#[derive(Debug, Clone, Copy)]
struct DeploymentState {
    state: u8,
    at: Instant,
}

/// One core's share, as sent to the scraping core.
#[derive(Debug, Default)]
struct Snapshot {
    series: Vec<(Key, Series)>,
    /// The custom auth callers the series name ([`Who::Custom`]).
    callers: Vec<Arc<CustomCaller>>,
    states: Vec<(u32, DeploymentState)>,
    router: router::RouterCounts,
    in_flight: usize,
}

/// A request from the scraping core to every core.
#[derive(Debug)]
enum Control {
    Snapshot(flume::Sender<Snapshot>),
}

/// Each core's channel, for scrapes (shared by all cores, read-only).
#[derive(Debug, Clone)]
pub struct Peers {
    senders: Arc<Vec<flume::Sender<Control>>>,
}

/// The receiving end of one core's channel.
#[derive(Debug)]
pub struct Inbox(flume::Receiver<Control>);

/// Channels for `cores` cores.
pub fn channels(cores: usize) -> (Peers, Vec<Inbox>) {
    let (senders, inboxes): (Vec<_>, Vec<_>) = (0..cores)
        .map(|_| {
            let (tx, rx) = flume::bounded(16);
            (tx, Inbox(rx))
        })
        .unzip();
    (
        Peers {
            senders: Arc::new(senders),
        },
        inboxes,
    )
}

/// One core's series: in a Vec, found through a hash index or, for a request like the one
/// before, through `last`.
#[derive(Debug, Default)]
struct Table {
    series: Vec<(Key, Series)>,
    index: HashMap<Key, usize>,
    last: usize,
}

impl Table {
    fn slot(&mut self, key: Key) -> &mut Series {
        let hit = self.series.get(self.last).is_some_and(|(k, _)| *k == key);
        if !hit {
            self.last = match self.index.get(&key) {
                Some(&i) => i,
                None => {
                    self.series.push((
                        key,
                        Series {
                            created: unix_now(),
                            ..Series::default()
                        },
                    ));
                    self.index.insert(key, self.series.len() - 1);
                    self.series.len() - 1
                }
            };
        }
        &mut self.series[self.last].1
    }
}

/// One core's metrics.
#[derive(Debug)]
pub struct Metrics {
    table: RefCell<Table>,
    /// The callers custom auth admitted that `table`'s series name.
    callers: RefCell<Callers>,
    /// By deployment index (the config bounds it).
    states: RefCell<Vec<Option<DeploymentState>>>,
    /// Cooldowns, fallbacks and limits ([`router`]).
    router: RefCell<router::RouterTable>,
    peers: Peers,
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

impl Metrics {
    pub fn new(peers: Peers) -> Self {
        Metrics {
            table: RefCell::new(Table::default()),
            callers: RefCell::new(Callers::default()),
            states: RefCell::new(Vec::new()),
            router: RefCell::new(router::RouterTable::default()),
            peers,
        }
    }

    /// Counts one finished request.
    pub fn record(&self, ex: &Exchange<'_>) {
        let llm = ex.api.is_some();
        let auth_failed = ex.status == 401 && ex.failure.is_some();
        // LiteLLM counts LLM routes, and auth failures on any route; a served /models, health
        // probe or scrape is not counted, nor is an unknown path.
        if !llm && !auth_failed {
            return;
        }
        let requested = match (ex.group, ex.requested_model.is_empty()) {
            (Some(g), _) => Requested::Group(g.index as u32),
            (None, false) => Requested::Other,
            (None, true) => Requested::Absent,
        };
        let caller = match (&ex.custom_auth, ex.caller) {
            (Some(auth), _) => self.callers.borrow_mut().intern(&labels_of(auth)),
            (None, caller) => caller.into(),
        };
        let key = Key {
            route: ex.route,
            llm,
            caller,
            requested,
            deployment: ex.deployment.map(|d| d.index as u32),
            status: ex.status,
            failure: ex.failure,
            service_tier: ex.service_tier,
        };
        let now = Instant::now();
        let mut table = self.table.borrow_mut();
        let series = table.slot(key);
        series.requests += 1;
        let Some(failure) = &ex.failure else {
            if llm {
                series.observe_success(ex, now);
                if let Some(d) = ex.deployment {
                    self.set_state(d.index, 0, now);
                }
            }
            return;
        };
        // Only an error the provider caused marks its deployment (a client that left says
        // nothing about it).
        if let (Some(d), Some(_)) = (ex.deployment, failure.provider) {
            self.set_state(d.index, 1, now);
        }
    }

    fn set_state(&self, deployment: usize, state: u8, at: Instant) {
        let mut states = self.states.borrow_mut();
        if states.len() <= deployment {
            states.resize(deployment + 1, None);
        }
        states[deployment] = Some(DeploymentState { state, at });
    }

    fn snapshot(&self, core: &Core) -> Snapshot {
        Snapshot {
            series: self.table.borrow().series.clone(),
            callers: self.callers.borrow().list.clone(),
            states: self
                .states
                .borrow()
                .iter()
                .enumerate()
                .filter_map(|(d, st)| st.map(|st| (d as u32, st)))
                .collect(),
            router: self.router.borrow().counts.clone(),
            in_flight: core.active.get(),
        }
    }

    /// Answers the scrapes of other cores until shutdown.
    pub async fn serve(core: std::rc::Rc<Core>, inbox: Inbox) {
        while let Ok(Control::Snapshot(reply)) = inbox.0.recv_async().await {
            if let Some(m) = &core.metrics {
                let _ = reply.send(m.snapshot(&core));
            }
        }
    }

    /// The Prometheus text of every core's counters, merged.
    pub async fn scrape(&self, core: &Core) -> Vec<u8> {
        let (tx, rx) = flume::unbounded();
        let mut asked = 0;
        let deadline = Instant::now() + SCRAPE_WAIT;
        for peer in self.peers.senders.iter() {
            let sent = monoio::time::timeout_at(
                deadline.into(),
                peer.send_async(Control::Snapshot(tx.clone())),
            );
            if matches!(sent.await, Ok(Ok(()))) {
                asked += 1;
            }
        }
        drop(tx);
        let mut merged: HashMap<Key, Series> = HashMap::new();
        // Each core numbers its custom auth callers itself: the merge numbers them again.
        let mut callers = Callers::default();
        let mut states: HashMap<u32, DeploymentState> = HashMap::new();
        let mut routed = router::RouterCounts::default();
        let mut in_flight = 0;
        for _ in 0..asked {
            let Ok(Ok(snap)) = monoio::time::timeout_at(deadline.into(), rx.recv_async()).await
            else {
                tracing::warn!("a core did not answer the metrics scrape in time");
                break;
            };
            for (k, s) in &snap.series {
                let mut k = *k;
                if let Who::Custom(i) = k.caller {
                    k.caller = match snap.callers.get(i as usize) {
                        Some(caller) => callers.intern(caller),
                        None => Who::Custom(OTHER_CALLERS),
                    };
                }
                merged.entry(k).or_default().merge(s);
            }
            for (d, st) in snap.states {
                let e = states.entry(d).or_insert(st);
                if st.at > e.at {
                    *e = st;
                }
            }
            routed.merge(snap.router);
            in_flight += snap.in_flight;
        }
        let mut out = render(
            &core.gateway,
            &merged,
            &callers,
            &states,
            &routed,
            in_flight,
        );
        if let Some(link) = &core.plugins {
            // The sidecar's own count of plugin exceptions, when it answers at once.
            let ping = link.call(br#"{"hook":"ping"}"#);
            let answer = match monoio::time::timeout(SCRAPE_WAIT, ping).await {
                Ok(Ok(answer)) => Some(answer),
                _ => None,
            };
            let mut text = String::new();
            crate::plugins::render_metrics(&link.sidecar, answer.as_ref(), &mut text);
            out.extend_from_slice(text.as_bytes());
        }
        out
    }
}

/// A label a metric may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum L {
    ApiBase,
    ApiKeyAlias,
    ApiProvider,
    EndUser,
    ExceptionClass,
    ExceptionStatus,
    FallbackModel,
    HashedApiKey,
    LitellmModelName,
    Model,
    ModelGroup,
    ModelId,
    OrgAlias,
    OrgId,
    RequestedModel,
    Route,
    ServiceTier,
    StatusCode,
    Team,
    TeamAlias,
    User,
    UserEmail,
}

impl L {
    fn name(self) -> &'static str {
        match self {
            L::ApiBase => "api_base",
            L::ApiKeyAlias => "api_key_alias",
            L::ApiProvider => "api_provider",
            L::EndUser => "end_user",
            L::ExceptionClass => "exception_class",
            L::ExceptionStatus => "exception_status",
            L::FallbackModel => "fallback_model",
            L::HashedApiKey => "hashed_api_key",
            L::LitellmModelName => "litellm_model_name",
            L::Model => "model",
            L::ModelGroup => "model_group",
            L::ModelId => "model_id",
            L::OrgAlias => "org_alias",
            L::OrgId => "org_id",
            L::RequestedModel => "requested_model",
            L::Route => "route",
            L::ServiceTier => "service_tier",
            L::StatusCode => "status_code",
            L::Team => "team",
            L::TeamAlias => "team_alias",
            L::User => "user",
            L::UserEmail => "user_email",
        }
    }
}

/// Which series a metric counts, and what it reads from them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Value {
    /// Every counted request.
    Requests,
    /// Requests that failed.
    Failed,
    /// Failed LLM requests LiteLLM logs as LLM failures (not auth failures).
    LlmFailed,
    /// Successful LLM requests.
    Succeeded,
    /// Successful LLM requests and the failures of `LlmFailed`.
    LlmAttempted,
    InputTokens,
    OutputTokens,
    TotalTokens,
    Spend,
    TotalLatency,
    LlmLatency,
    Ttft,
    Overhead,
    PerToken,
}

struct Family {
    name: &'static str,
    help: &'static str,
    labels: &'static [L],
    value: Value,
    /// How a missing value prints: "None" in LiteLLM's request metrics, "" in its
    /// deployment metrics.
    absent: &'static str,
}

use L::*;

/// Labels of `litellm_proxy_*` (the client's and the user's, without `client_ip`/`user_agent`).
const PROXY: &[L] = &[
    ApiKeyAlias,
    ApiProvider,
    EndUser,
    HashedApiKey,
    ModelId,
    OrgAlias,
    OrgId,
    RequestedModel,
    Route,
    StatusCode,
    Team,
    TeamAlias,
    User,
    UserEmail,
];
const PROXY_FAILED: &[L] = &[
    ApiKeyAlias,
    ApiProvider,
    EndUser,
    ExceptionClass,
    ExceptionStatus,
    HashedApiKey,
    ModelId,
    OrgAlias,
    OrgId,
    RequestedModel,
    Route,
    Team,
    TeamAlias,
    User,
    UserEmail,
];
const LATENCY: &[L] = &[
    ApiKeyAlias,
    ApiProvider,
    EndUser,
    HashedApiKey,
    Model,
    ModelGroup,
    ModelId,
    OrgAlias,
    OrgId,
    RequestedModel,
    ServiceTier,
    Team,
    TeamAlias,
    User,
];
const OVERHEAD: &[L] = &[
    ApiBase,
    ApiKeyAlias,
    ApiProvider,
    HashedApiKey,
    LitellmModelName,
    ModelGroup,
    ModelId,
];
const DEPLOYMENT: &[L] = &[
    ApiBase,
    ApiKeyAlias,
    ApiProvider,
    HashedApiKey,
    LitellmModelName,
    ModelGroup,
    ModelId,
    RequestedModel,
    Team,
    TeamAlias,
];
const DEPLOYMENT_FAILED: &[L] = &[
    ApiBase,
    ApiKeyAlias,
    ApiProvider,
    ExceptionClass,
    ExceptionStatus,
    HashedApiKey,
    LitellmModelName,
    ModelGroup,
    ModelId,
    RequestedModel,
    Team,
    TeamAlias,
];
const PER_TOKEN: &[L] = &[
    ApiBase,
    ApiKeyAlias,
    ApiProvider,
    HashedApiKey,
    LitellmModelName,
    ModelGroup,
    ModelId,
    OrgAlias,
    OrgId,
    Team,
    TeamAlias,
];
const LLM_FAILED: &[L] = &[
    ApiKeyAlias,
    EndUser,
    HashedApiKey,
    Model,
    ModelId,
    Team,
    TeamAlias,
    User,
];
const TOKENS: &[L] = &[
    ApiKeyAlias,
    ApiProvider,
    EndUser,
    HashedApiKey,
    Model,
    ModelId,
    OrgAlias,
    OrgId,
    RequestedModel,
    Team,
    TeamAlias,
    User,
    UserEmail,
];
const SPEND: &[L] = &[
    ApiKeyAlias,
    ApiProvider,
    EndUser,
    HashedApiKey,
    Model,
    ModelId,
    OrgAlias,
    OrgId,
    RequestedModel,
    ServiceTier,
    Team,
    TeamAlias,
    User,
    UserEmail,
];

const FAMILIES: &[Family] = &[
    Family { name: "litellm_proxy_failed_requests_metric_total", help: "Total number of failed responses from proxy - the client did not get a success response from litellm proxy", labels: PROXY_FAILED, value: Value::Failed, absent: "None" },
    Family { name: "litellm_proxy_total_requests_metric_total", help: "Total number of requests made to the proxy server - track number of client side requests", labels: PROXY, value: Value::Requests, absent: "None" },
    Family { name: "litellm_request_total_latency_metric", help: "End-to-end latency (seconds) for a request to LiteLLM Proxy Server, from the moment the request reached the proxy through the end of processing -- includes authentication, pre-call hooks, the LLM API call, and post-call processing", labels: LATENCY, value: Value::TotalLatency, absent: "None" },
    Family { name: "litellm_llm_api_latency_metric", help: "Total latency (seconds) for a models LLM API call", labels: LATENCY, value: Value::LlmLatency, absent: "None" },
    Family { name: "litellm_llm_api_time_to_first_token_metric", help: "Time to first token for a models LLM API call", labels: LATENCY, value: Value::Ttft, absent: "None" },
    Family { name: "litellm_spend_metric_total", help: "Total spend on LLM requests", labels: SPEND, value: Value::Spend, absent: "None" },
    Family { name: "litellm_total_tokens_metric_total", help: "Total number of input + output tokens from LLM requests", labels: TOKENS, value: Value::TotalTokens, absent: "None" },
    Family { name: "litellm_input_tokens_metric_total", help: "Total number of input tokens from LLM requests", labels: TOKENS, value: Value::InputTokens, absent: "None" },
    Family { name: "litellm_output_tokens_metric_total", help: "Total number of output tokens from LLM requests", labels: TOKENS, value: Value::OutputTokens, absent: "None" },
    Family { name: "litellm_overhead_latency_metric", help: "Latency overhead (milliseconds) added by LiteLLM processing", labels: OVERHEAD, value: Value::Overhead, absent: "" },
    Family { name: "litellm_overhead_with_guardrails_latency_metric", help: "Total internal latency (seconds) added by LiteLLM, including pre/post-call guardrails (excludes the LLM API call)", labels: OVERHEAD, value: Value::Overhead, absent: "" },
    Family { name: "litellm_deployment_success_responses_total", help: "LLM Deployment Analytics - Total number of successful LLM API calls via litellm", labels: DEPLOYMENT, value: Value::Succeeded, absent: "" },
    Family { name: "litellm_deployment_failure_responses_total", help: "LLM Deployment Analytics - Total number of failed LLM API calls for a specific LLM deploymeny. exception_status is the status of the exception from the llm api", labels: DEPLOYMENT_FAILED, value: Value::LlmFailed, absent: "" },
    Family { name: "litellm_deployment_total_requests_total", help: "LLM Deployment Analytics - Total number of LLM API calls via litellm - success + failure", labels: DEPLOYMENT, value: Value::LlmAttempted, absent: "" },
    Family { name: "litellm_deployment_latency_per_output_token", help: "LLM Deployment Analytics - Latency per output token", labels: PER_TOKEN, value: Value::PerToken, absent: "" },
    Family { name: "litellm_llm_api_failed_requests_metric_total", help: "deprecated - use litellm_proxy_failed_requests_metric", labels: LLM_FAILED, value: Value::LlmFailed, absent: "None" },
    Family { name: "litellm_requests_metric_total", help: "deprecated - use litellm_proxy_total_requests_metric. Total number of LLM calls to litellm - track total per API Key, team, user", labels: TOKENS, value: Value::Succeeded, absent: "None" },
];

impl Key {
    fn succeeded(&self) -> bool {
        self.llm && self.failure.is_none()
    }

    /// LiteLLM's `async_log_failure_event` skips authentication failures, and logs nothing
    /// for a client that left.
    fn llm_failed(&self) -> bool {
        self.llm
            && self.caller != Who::Unknown
            && self.status != 401
            && self.failure.is_some_and(|f| f.class != CLIENT_DISCONNECTED)
    }

    fn label(&self, l: L, gw: &Gateway, callers: &Callers, absent: &'static str, out: &mut String) {
        let dep = self.deployment.and_then(|d| gw.deployments.get(d as usize));
        let (provider, model) = dep.map_or((None, None), |d| deployment_model(d));
        let key = match self.caller {
            Who::Key(id) => gw
                .store
                .get()
                .and_then(|s| s.cache.load().key_by_id(id).cloned()),
            _ => None,
        };
        let key = key.as_ref().map(|k| &k.record);
        // The caller's key alias, team, user and key hash.
        let (alias, team, user, token) = match (self.caller, key) {
            (Who::Custom(i), _) => callers.get(i).map_or((None, None, None, None), |c| {
                let token = Some(c.token.as_str()).filter(|t| !t.is_empty());
                let user = c.user_id.as_deref();
                (c.key_alias.as_deref(), c.team_id.as_deref(), user, token)
            }),
            (Who::Key(_), Some(k)) => (
                k.key_alias.as_deref(),
                k.team_id.as_deref(),
                k.user_id.as_deref(),
                Some(k.token.as_str()),
            ),
            (Who::Master, _) => (
                None,
                None,
                Some("default_user_id"),
                Some("litellm_proxy_master_key"),
            ),
            _ => (None, None, None, None),
        };
        let or_none = |v: Option<&str>| v.unwrap_or("None").to_owned();
        match l {
            ApiBase => out.push_str(dep.map_or("", |d| api_base(d))),
            ApiKeyAlias => out.push_str(&or_none(alias)),
            Team => out.push_str(&or_none(team)),
            EndUser | OrgAlias | OrgId | TeamAlias | UserEmail => out.push_str("None"),
            ServiceTier => out.push_str(self.service_tier.map_or("None", |t| t.name())),
            ApiProvider => out.push_str(provider.unwrap_or(absent)),
            ExceptionClass => {
                if let Some(f) = &self.failure {
                    f.write(out);
                }
            }
            ExceptionStatus | StatusCode => {
                out.push_str(itoa::Buffer::new().format(self.status));
            }
            HashedApiKey => out.push_str(token.unwrap_or("None")),
            LitellmModelName | Model => out.push_str(model.unwrap_or(absent)),
            ModelGroup => out.push_str(dep.map_or("", |d| d.group.as_str())),
            ModelId => out.push_str(dep.map_or(absent, |d| d.id.as_str())),
            RequestedModel => out.push_str(match self.requested {
                Requested::Group(g) => gw.groups.get(g as usize).map_or("", |g| g.name.as_str()),
                Requested::Other => "other",
                Requested::Absent => absent,
            }),
            Route => out.push_str(self.route.0),
            // Only the fallback metrics carry it, and they write it themselves.
            FallbackModel => {}
            User => out.push_str(user.unwrap_or("None")),
        }
    }
}

/// The deployment's provider and model as LiteLLM labels them (the provider prefix stripped).
pub(crate) fn deployment_model(d: &crate::gateway::Deployment) -> (Option<&str>, Option<&str>) {
    match &d.kind {
        DeploymentKind::Fixed {
            provider,
            provider_model,
            ..
        } => (Some(provider.name), Some(provider_model.as_str())),
        DeploymentKind::Unsupported { provider } => (Some(provider), Some(d.params.model.as_str())),
        DeploymentKind::Mock(_) | DeploymentKind::Wildcard { .. } => {
            let model = d.params.model.as_str();
            match model.split_once('/') {
                Some((p, m)) => (Some(p), Some(m)),
                None => (Some("openai"), Some(model)),
            }
        }
    }
}

pub(crate) fn api_base(d: &crate::gateway::Deployment) -> &str {
    match &d.kind {
        DeploymentKind::Fixed { upstream, .. } => upstream.api_base.as_str(),
        _ => d.params.api_base.as_deref().unwrap_or(""),
    }
}

/// Aggregated values of one rendered series.
#[derive(Default)]
struct Agg {
    created: f64,
    number: f64,
    histogram: Histogram,
}

fn render(
    gw: &Gateway,
    merged: &HashMap<Key, Series>,
    callers: &Callers,
    states: &HashMap<u32, DeploymentState>,
    routed: &router::RouterCounts,
    in_flight: usize,
) -> Vec<u8> {
    let mut out = String::with_capacity(16 * 1024);
    crate::process_stats::ProcessStats::read().render(&mut out, float);
    for family in FAMILIES {
        let mut rows: BTreeMap<Vec<String>, Agg> = BTreeMap::new();
        for (key, series) in merged {
            let include = match family.value {
                Value::Requests => true,
                Value::Failed => key.failure.is_some(),
                Value::LlmFailed => key.llm_failed(),
                Value::LlmAttempted => key.succeeded() || key.llm_failed(),
                _ => key.succeeded(),
            };
            if !include {
                continue;
            }
            let labels: Vec<String> = family
                .labels
                .iter()
                .map(|&l| {
                    // LiteLLM's deprecated failure counter prints a missing model "None"
                    // but a missing model_id "".
                    let absent = match (family.value, l) {
                        (Value::LlmFailed, ModelId) => "",
                        _ => family.absent,
                    };
                    let mut s = String::new();
                    key.label(l, gw, callers, absent, &mut s);
                    s
                })
                .collect();
            let agg = rows.entry(labels).or_insert_with(|| Agg {
                created: series.created,
                ..Agg::default()
            });
            agg.created = agg.created.min(series.created);
            match family.value {
                Value::Requests
                | Value::Failed
                | Value::LlmFailed
                | Value::Succeeded
                | Value::LlmAttempted => agg.number += series.requests as f64,
                Value::InputTokens => agg.number += series.input_tokens as f64,
                Value::OutputTokens => agg.number += series.output_tokens as f64,
                Value::TotalTokens => {
                    agg.number += (series.input_tokens + series.output_tokens) as f64
                }
                Value::Spend => agg.number += series.spend,
                Value::TotalLatency => agg.histogram.merge(&series.total_latency),
                Value::LlmLatency => agg.histogram.merge(&series.llm_latency),
                Value::Ttft => agg.histogram.merge(&series.ttft),
                Value::Overhead => agg.histogram.merge(&series.overhead),
                Value::PerToken => agg.histogram.merge(&series.per_token),
            }
        }
        let histogram = matches!(
            family.value,
            Value::TotalLatency
                | Value::LlmLatency
                | Value::Ttft
                | Value::Overhead
                | Value::PerToken
        );
        if histogram {
            rows.retain(|_, a| a.histogram.count > 0);
        }
        let base = family.name.strip_suffix("_total").unwrap_or(family.name);
        let _ = writeln!(out, "# HELP {} {}", family.name, family.help);
        let kind = if histogram { "histogram" } else { "counter" };
        let _ = writeln!(out, "# TYPE {} {kind}", family.name);
        for (labels, agg) in &rows {
            if histogram {
                let bounds: &[f64] = if family.value == Value::PerToken {
                    &DEFAULT_BUCKETS
                } else {
                    &LATENCY_BUCKETS
                };
                let mut cumulative = 0;
                for (i, bound) in bounds.iter().map(Some).chain([None]).enumerate() {
                    cumulative += agg.histogram.buckets.get(i).copied().unwrap_or(0);
                    let le = match bound {
                        Some(b) => float(*b),
                        None => "+Inf".to_owned(),
                    };
                    sample(
                        &mut out,
                        &format!("{base}_bucket"),
                        family.labels,
                        labels,
                        Some(&le),
                        cumulative as f64,
                    );
                }
                sample(
                    &mut out,
                    &format!("{base}_count"),
                    family.labels,
                    labels,
                    None,
                    agg.histogram.count as f64,
                );
                sample(
                    &mut out,
                    &format!("{base}_sum"),
                    family.labels,
                    labels,
                    None,
                    agg.histogram.sum,
                );
            } else {
                sample(
                    &mut out,
                    family.name,
                    family.labels,
                    labels,
                    None,
                    agg.number,
                );
            }
        }
        if !rows.is_empty() {
            let _ = writeln!(out, "# HELP {base}_created {}", family.help);
            let _ = writeln!(out, "# TYPE {base}_created gauge");
            for (labels, agg) in &rows {
                sample(
                    &mut out,
                    &format!("{base}_created"),
                    family.labels,
                    labels,
                    None,
                    agg.created,
                );
            }
        }
    }
    let _ = writeln!(out, "# HELP litellm_deployment_state LLM Deployment Analytics - The state of the deployment: 0 = healthy, 1 = partial outage, 2 = complete outage");
    let _ = writeln!(out, "# TYPE litellm_deployment_state gauge");
    let mut rows: BTreeMap<Vec<String>, (Instant, f64)> = BTreeMap::new();
    const STATE: &[L] = &[ApiBase, ApiProvider, LitellmModelName, ModelId];
    for (&d, st) in states {
        let key = Key {
            route: RouteLabel(""),
            llm: true,
            caller: Who::Master,
            requested: Requested::Absent,
            deployment: Some(d),
            status: 0,
            failure: None,
            service_tier: None,
        };
        let labels = STATE
            .iter()
            .map(|&l| {
                let mut s = String::new();
                key.label(l, gw, &Callers::default(), "", &mut s);
                s
            })
            .collect();
        rows.insert(labels, (st.at, f64::from(st.state)));
    }
    router::outages(gw, routed, STATE, &mut rows);
    for (labels, (_, v)) in &rows {
        sample(
            &mut out,
            "litellm_deployment_state",
            STATE,
            labels,
            None,
            *v,
        );
    }
    router::render(gw, routed, &mut out);
    if let Some(store) = gw.store.get() {
        keys::render(&store.cache.load(), &mut out);
        keys::render_store(&store.stats, &mut out);
    }
    let _ = writeln!(out, "# HELP litellm_in_flight_requests Number of HTTP requests currently in-flight on this uvicorn worker");
    let _ = writeln!(out, "# TYPE litellm_in_flight_requests gauge");
    let _ = writeln!(
        out,
        "litellm_in_flight_requests {}",
        float(in_flight as f64)
    );
    out.into_bytes()
}

/// One sample line; labels (and `le`) in alphabetical order, as prometheus_client writes them.
fn sample(out: &mut String, name: &str, names: &[L], values: &[String], le: Option<&str>, v: f64) {
    out.push_str(name);
    out.push('{');
    let mut first = true;
    let mut le = le;
    for (l, value) in names.iter().zip(values) {
        if let Some(bound) = le.filter(|_| l.name() > "le") {
            push_label(out, &mut first, "le", bound);
            le = None;
        }
        push_label(out, &mut first, l.name(), value);
    }
    if let Some(bound) = le {
        push_label(out, &mut first, "le", bound);
    }
    out.push_str("} ");
    out.push_str(&float(v));
    out.push('\n');
}

fn push_label(out: &mut String, first: &mut bool, name: &str, value: &str) {
    if !*first {
        out.push(',');
    }
    *first = false;
    out.push_str(name);
    out.push_str("=\"");
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A number as prometheus_client writes it (`floatToGoString`): Python's `repr(float)`
/// ("2.0", "0.005", "2.5e-05", "+Inf"), except that a positive number with more than six
/// integer digits switches to Go's exponent form ("9.1414528e+08").
fn float(v: f64) -> String {
    if v.is_infinite() {
        return if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if v.is_nan() {
        return "NaN".into();
    }
    let mut repr = Vec::with_capacity(24);
    corelane_transforms::cost::write_cost(v, &mut repr);
    let s = String::from_utf8(repr).unwrap_or_default();
    match s.find('.') {
        Some(dot) if v > 0.0 && dot > 6 => {
            let digits = format!("{}{}{}", &s[..1], &s[1..dot], &s[dot + 1..]);
            let mantissa = format!("{}.{}", &digits[..1], &digits[1..]);
            // Python's `rstrip('0.')`: trailing zeros and dots, in any order.
            let mantissa = mantissa.trim_end_matches(['0', '.']);
            format!("{mantissa}e+0{}", dot - 1)
        }
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Custom auth callers are counted each once, and past the bound as one.
    #[test]
    fn custom_auth_callers_stay_bounded() {
        let mut callers = Callers::default();
        let caller = |n: usize| CustomCaller {
            token: format!("t{n}"),
            ..CustomCaller::default()
        };
        assert_eq!(callers.intern(&caller(0)), Who::Custom(0));
        assert_eq!(callers.intern(&caller(1)), Who::Custom(1));
        assert_eq!(callers.intern(&caller(0)), Who::Custom(0));
        for n in 2..MAX_CUSTOM_CALLERS {
            callers.intern(&caller(n));
        }
        let past = callers.intern(&caller(MAX_CUSTOM_CALLERS));
        assert_eq!(past, Who::Custom(OTHER_CALLERS));
        assert_eq!(callers.list.len(), MAX_CUSTOM_CALLERS);
        assert!(callers.get(OTHER_CALLERS).is_none());
        assert_eq!(callers.get(1).map(|c| c.token.as_str()), Some("t1"));
        let long = "é".repeat(200);
        let cut = labels_of(&serde_json::json!({"token": "t", "user_id": long}));
        let user = cut.user_id.unwrap_or_default();
        assert!(user.len() <= MAX_CALLER_LABEL && user.len() >= MAX_CALLER_LABEL - 1);
    }

    #[test]
    fn numbers_print_as_python_floats() {
        assert_eq!(float(2.0), "2.0");
        assert_eq!(float(0.005), "0.005");
        assert_eq!(float(600.0), "600.0");
        assert_eq!(float(f64::INFINITY), "+Inf");
        // prometheus_client's floatToGoString, as in LiteLLM's scrape.
        assert_eq!(float(914_145_280.0), "9.1414528e+08");
        assert_eq!(float(1_795_976_455.46), "1.79597645546e+09");
        assert_eq!(float(1_000_000.0), "1e+06");
        assert_eq!(float(999_999.0), "999999.0");
        assert_eq!(float(2.5e-05), "2.5e-05");
        assert_eq!(float(15.2), "15.2");
        assert_eq!(float(20_000.0), "20000.0");
        assert_eq!(float(12_345_678_901.0), "1.2345678901e+010");
    }

    #[test]
    fn labels_are_sorted_with_le_in_place() {
        for family in FAMILIES {
            let names: Vec<&str> = family.labels.iter().map(|l| l.name()).collect();
            let mut sorted = names.clone();
            sorted.sort_unstable();
            assert_eq!(names, sorted, "{}", family.name);
        }
        let mut out = String::new();
        let values = vec!["a".to_owned(), "b".to_owned()];
        sample(
            &mut out,
            "x_bucket",
            &[ApiBase, Model],
            &values,
            Some("0.1"),
            1.0,
        );
        assert_eq!(out, "x_bucket{api_base=\"a\",le=\"0.1\",model=\"b\"} 1.0\n");
    }

    #[test]
    fn histograms_bucket_by_upper_bound() {
        let mut h = Histogram::default();
        h.observe(&LATENCY_BUCKETS, 0.005);
        h.observe(&LATENCY_BUCKETS, 0.006);
        h.observe(&LATENCY_BUCKETS, 1000.0);
        assert_eq!(h.buckets[0], 1);
        assert_eq!(h.buckets[1], 1);
        assert_eq!(h.buckets[17], 1);
        assert_eq!(h.count, 3);
    }
}
