//! A positioned YAML node tree built from the parser's events, with anchors, aliases and `<<` merges resolved.

use std::collections::HashMap;

use serde_saphyr::granit_parser::{Event, Options, Parser, ScalarStyle, Span};

use crate::error::ConfigError;
use crate::scalar::{quote, resolve_plain, Scalar};

/// Most nodes one document may expand to; aliases copy subtrees, so without a cap a small
/// file of nested aliases ("billion laughs") could ask for unbounded memory.
const MAX_NODES: usize = 250_000;

/// Deepest nesting allowed after alias expansion; keeps every recursive walk (and `Drop`)
/// well inside the stack even though each alias may re-nest a whole subtree.
const MAX_DEPTH: usize = 400;

/// One YAML node with the 1-based line and column where it starts.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) kind: Kind,
    pub(crate) line: usize,
    pub(crate) col: usize,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// `plain` is false for quoted/block scalars and `!!str`: such text is never read as a
    /// number, boolean or null.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

/// A mapping key: always a scalar here, since LiteLLM's keys are strings.
#[derive(Debug, Clone)]
pub(crate) struct Key {
    pub(crate) text: String,
    pub(crate) plain: bool,
}

impl Node {
    pub(crate) fn scalar(&self) -> Option<Scalar<'_>> {
        match &self.kind {
            Kind::Scalar { text, plain: true } => Some(resolve_plain(text)),
            Kind::Scalar { text, plain: false } => Some(Scalar::Str(text)),
            _ => None,
        }
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self.scalar(), Some(Scalar::Null))
    }

    /// Short description of the node for "expected X, got Y" messages.
    pub(crate) fn describe(&self) -> String {
        match (&self.kind, self.scalar()) {
            (Kind::Seq(_), _) => "a list".to_string(),
            (Kind::Map(_), _) => "a mapping".to_string(),
            (_, Some(Scalar::Null)) => "null".to_string(),
            (_, Some(Scalar::Str(s))) => quote(s),
            (Kind::Scalar { text, .. }, _) => text.clone(),
        }
    }
}

/// Parses `text` into its single document's root node; `None` for an empty stream.
pub(crate) fn parse_document(text: &str, origin: &str) -> Result<Option<Node>, ConfigError> {
    let mut options = Options::default();
    options.set_emit_comments(false);
    let mut parser = Parser::new_from_str_with_options(text, options);
    let mut builder = Builder::default();
    let mut documents = 0usize;
    let mut root = None;
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| ConfigError::Syntax {
            origin: origin.to_string(),
            line: e.marker().line(),
            col: e.marker().col() + 1,
            message: e.info(),
        })?;
        let at = |message: &str| ConfigError::Syntax {
            origin: origin.to_string(),
            line: span.start.line(),
            col: span.start.col() + 1,
            message: message.to_string(),
        };
        match event {
            Event::DocumentStart(..) => {
                documents += 1;
                // yaml.safe_load (what LiteLLM calls) rejects a stream of several documents.
                if documents > 1 {
                    return Err(at("expected a single YAML document, found another"));
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                let plain = style == ScalarStyle::Plain
                    && !tag.is_some_and(|t| t.is_yaml_core_schema_tag("str"));
                let node = leaf(
                    &span,
                    Kind::Scalar {
                        text: value.into_owned(),
                        plain,
                    },
                );
                builder.add(node, 1, 1, anchor).map_err(at)?;
            }
            Event::SequenceStart(_, anchor, _) => builder.open(&span, anchor, false),
            Event::MappingStart(_, anchor, _) => builder.open(&span, anchor, true),
            Event::SequenceEnd | Event::MappingEnd => builder.close().map_err(at)?,
            Event::Alias(id) => builder.alias(id).map_err(at)?,
            Event::UnresolvedAlias(_) => return Err(at("unknown anchor")),
            _ => {}
        }
        if let Some(done) = builder.root.take() {
            root = Some(done);
        }
    }
    Ok(root)
}

fn leaf(span: &Span, kind: Kind) -> Node {
    Node {
        kind,
        line: span.start.line(),
        col: span.start.col() + 1,
    }
}

/// A collection being built: its node so far, the key waiting for a value, and the size and
/// height of what it holds (for the expansion limits).
struct Open {
    node: Node,
    anchor: usize,
    pending_key: Option<Key>,
    size: usize,
    height: usize,
}

#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    /// anchor id -> (node, node count, height)
    anchors: HashMap<usize, (Node, usize, usize)>,
    total: usize,
    root: Option<Node>,
}

impl Builder {
    fn open(&mut self, span: &Span, anchor: usize, map: bool) {
        let kind = if map {
            Kind::Map(Vec::new())
        } else {
            Kind::Seq(Vec::new())
        };
        self.stack.push(Open {
            node: leaf(span, kind),
            anchor,
            pending_key: None,
            size: 1,
            height: 1,
        });
    }

    fn close(&mut self) -> Result<(), &'static str> {
        let Some(mut open) = self.stack.pop() else {
            return Err("unbalanced collection end");
        };
        if let Kind::Map(entries) = &mut open.node.kind {
            apply_merges(entries);
        }
        self.add(open.node, open.size, open.height, open.anchor)
    }

    fn alias(&mut self, id: usize) -> Result<(), &'static str> {
        let Some((node, size, height)) = self.anchors.get(&id) else {
            return Err("alias to an unknown or unfinished anchor");
        };
        let (node, size, height) = (node.clone(), *size, *height);
        self.add(node, size, height, 0)
    }

    fn add(
        &mut self,
        node: Node,
        size: usize,
        height: usize,
        anchor: usize,
    ) -> Result<(), &'static str> {
        self.total = self.total.saturating_add(size);
        if self.total > MAX_NODES {
            return Err("document too large after alias expansion");
        }
        if self.stack.len() + height > MAX_DEPTH {
            return Err("document nested too deeply after alias expansion");
        }
        if anchor != 0 {
            self.anchors.insert(anchor, (node.clone(), size, height));
        }
        let Some(parent) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        parent.size = parent.size.saturating_add(size);
        parent.height = parent.height.max(height + 1);
        match &mut parent.node.kind {
            Kind::Seq(items) => items.push(node),
            Kind::Map(entries) => match parent.pending_key.take() {
                None => {
                    let Kind::Scalar { text, plain } = node.kind else {
                        return Err("expected a string key, found a list or mapping");
                    };
                    parent.pending_key = Some(Key { text, plain });
                }
                // A repeated key replaces the earlier value, as in PyYAML.
                Some(key) => match entries.iter_mut().find(|(k, _)| k.text == key.text) {
                    Some(slot) => *slot = (key, node),
                    None => entries.push((key, node)),
                },
            },
            Kind::Scalar { .. } => return Err("scalar cannot hold children"),
        }
        Ok(())
    }
}

/// Applies YAML merge keys (`<<: *base` or `<<: [*a, *b]`): keys written in the mapping win,
/// then earlier merge sources win over later ones, as in PyYAML.
fn apply_merges(entries: &mut Vec<(Key, Node)>) {
    if !entries.iter().any(|(k, _)| k.plain && k.text == "<<") {
        return;
    }
    let (merges, mut own): (Vec<_>, Vec<_>) = std::mem::take(entries)
        .into_iter()
        .partition(|(k, _)| k.plain && k.text == "<<");
    let mut sources = Vec::new();
    for (key, value) in merges {
        match value.kind {
            Kind::Map(m) => sources.push(m),
            Kind::Seq(items) => {
                for item in items {
                    if let Kind::Map(m) = item.kind {
                        sources.push(m);
                    }
                }
            }
            // Not a mapping: keep it as an ordinary key so it shows up as ignored.
            kind => own.push((key, Node { kind, ..value })),
        }
    }
    let mut merged: Vec<(Key, Node)> = Vec::new();
    for source in sources {
        for (k, v) in source {
            let seen = own
                .iter()
                .chain(merged.iter())
                .any(|(o, _)| o.text == k.text);
            if !seen {
                merged.push((k, v));
            }
        }
    }
    merged.extend(own);
    *entries = merged;
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::value::Value;

    #[test]
    fn positions_are_one_based() {
        let root = parse_document("a:\n  b: [1, x]\n", "t").unwrap().unwrap();
        let Kind::Map(top) = &root.kind else { panic!() };
        let Kind::Map(inner) = &top[0].1.kind else {
            panic!()
        };
        let Kind::Seq(items) = &inner[0].1.kind else {
            panic!()
        };
        assert_eq!((items[1].line, items[1].col), (2, 10));
    }

    #[test]
    fn merge_keys_keep_own_keys_then_first_source() {
        let text = "a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  x: 3\n";
        let root = parse_document(text, "t").unwrap().unwrap();
        let Kind::Map(top) = &root.kind else { panic!() };
        let Kind::Map(c) = &top[2].1.kind else {
            panic!()
        };
        let got: Vec<(&str, Value)> = c
            .iter()
            .map(|(k, v)| (k.text.as_str(), Value::from_node(v)))
            .collect();
        assert_eq!(
            got,
            vec![
                ("y", Value::Int(1)),
                ("z", Value::Int(2)),
                ("x", Value::Int(3))
            ]
        );
    }
}
