//! Model resolution and deployment choice: exact group, `model_group_alias`, then wildcard
//! patterns (longest prefix first), as LiteLLM's router orders them; several deployments of a
//! group are picked by simple-shuffle (weight, else rpm/tpm, else uniform).

use std::borrow::Cow;

use corelane_transforms::provider::{self, ProviderRow, UnknownProvider};

use crate::errors::GatewayError;
use crate::gateway::{Deployment, DeploymentKind, Gateway, ModelGroup, Upstream};

/// A group resolved for one request.
#[derive(Debug)]
pub struct Resolved<'g> {
    pub group: &'g ModelGroup,
    /// Where, in the requested model, the text the `*` of a wildcard group matched starts.
    pub star: Option<usize>,
}

/// Where one attempt goes.
#[derive(Debug)]
pub enum Target<'g> {
    Mock(&'g str),
    Upstream {
        provider: &'static ProviderRow,
        provider_model: Cow<'g, str>,
        upstream: &'g Upstream,
    },
}

pub fn resolve_group<'g>(gw: &'g Gateway, model: &str) -> Option<Resolved<'g>> {
    if let Some(&g) = gw.by_name.get(model) {
        return Some(Resolved {
            group: &gw.groups[g],
            star: None,
        });
    }
    if let Some(alias) = gw.aliases.get(model) {
        return Some(Resolved {
            group: &gw.groups[alias.group],
            star: None,
        });
    }
    gw.wildcards.iter().find_map(|&g| {
        let group = &gw.groups[g];
        let prefix = group.wildcard_prefix.as_deref()?;
        model.strip_prefix(prefix)?;
        Some(Resolved {
            group,
            star: Some(prefix.len()),
        })
    })
}

/// simple-shuffle: a weighted random pick when weights differ, else uniform.
pub fn pick<'g>(gw: &'g Gateway, group: &ModelGroup) -> Option<&'g Deployment> {
    let ids = &group.deployments;
    match ids.len() {
        0 => return None,
        1 => return gw.deployments.get(ids[0]),
        _ => {}
    }
    let total: f64 = ids.iter().map(|&d| gw.deployments[d].weight).sum();
    if total <= 0.0 {
        return gw.deployments.get(ids[fastrand::usize(..ids.len())]);
    }
    let mut x = fastrand::f64() * total;
    for &d in ids {
        let w = gw.deployments[d].weight;
        if x < w {
            return gw.deployments.get(d);
        }
        x -= w;
    }
    ids.last().and_then(|&d| gw.deployments.get(d))
}

/// The provider and model one deployment sends this request to.
pub fn target<'g>(dep: &'g Deployment, star: Option<&str>) -> Result<Target<'g>, GatewayError> {
    let unsupported = |provider: &str| GatewayError::UnsupportedProvider {
        model: dep.params.model.clone(),
        provider: provider.to_owned(),
    };
    match &dep.kind {
        DeploymentKind::Mock(text) => Ok(Target::Mock(text)),
        DeploymentKind::Unsupported { provider } => Err(unsupported(provider)),
        DeploymentKind::Fixed {
            provider,
            provider_model,
            upstream,
        } => Ok(Target::Upstream {
            provider,
            provider_model: Cow::Borrowed(provider_model),
            upstream,
        }),
        DeploymentKind::Wildcard {
            template,
            upstreams,
        } => {
            let model = template.replace('*', star.unwrap_or(""));
            let (row, provider_model) =
                match provider::resolve(&model, dep.params.custom_llm_provider.as_deref()) {
                    Ok(found) => found,
                    Err(UnknownProvider::Unsupported(name)) => return Err(unsupported(name)),
                    Err(UnknownProvider::Unknown) => {
                        return Err(GatewayError::UpstreamConnect {
                            provider: "openai",
                            detail: format!("LLM Provider NOT provided for model={model}"),
                        })
                    }
                };
            if let Some(label) =
                provider::unserved_model(row, provider_model, dep.params.api_base.is_some())
            {
                return Err(unsupported(label));
            }
            if row.auth == provider::Auth::GoogleOAuth && !upstreams.contains_key(row.name) {
                // Credentials are loaded only for a wildcard that names the provider.
                return Err(unsupported(
                    "vertex_ai (through a wildcard that does not name vertex_ai)",
                ));
            }
            let upstream =
                upstreams
                    .get(row.name)
                    .ok_or_else(|| GatewayError::UpstreamConnect {
                        provider: row.name,
                        detail: format!("provider {} has no api_base configured", row.name),
                    })?;
            Ok(Target::Upstream {
                provider: provider::on_host(row, &upstream.origin.host, provider_model),
                provider_model: Cow::Owned(provider_model.to_owned()),
                upstream,
            })
        }
    }
}
