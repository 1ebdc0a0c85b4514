//! The code's shape, checked: which module may use which. Every `crate::`, `super::` and
//! `self::` path in `src/` (and a parent's uses of its own children) is an edge between the
//! files' modules; the graph must have no cycle, and the layers may only be used downwards.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, top first: a module may use its own layer's modules and those below it.
/// `main.rs` (the binary) is outside the graph; it only calls `commands`.
const LAYERS: &[&[&str]] = &[
    &["commands"],
    &["app"],
    &["http"],
    &["graphql"],
    &["config"],
    &["service", "import"],
    &["demo"],
    &["store"],
    &["domain"],
];

/// The library's modules, by path (`graphql::workforce::types`), with their source text.
fn modules() -> BTreeMap<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = BTreeMap::new();
    let mut pending: Vec<PathBuf> = vec![root.clone()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("src is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(&root).expect("under src");
            let mut parts: Vec<String> = relative
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts == ["main"] {
                continue;
            }
            if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
                parts.pop();
            }
            let text = std::fs::read_to_string(&path).expect("a readable source file");
            found.insert(parts.join("::"), text);
        }
    }
    found
}

/// The text of `source` outside comments, string literals and `#[cfg(test)]` modules (tests
/// may reach anywhere).
fn code_of(source: &str) -> String {
    let source = match source.find("#[cfg(test)]\nmod tests") {
        Some(at) => &source[..at],
        None => source,
    };
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
                out.push_str("\"\"");
            }
            _ => out.push(c),
        }
    }
    out
}

/// The paths a `use` tree or an inline path starting at `at` names, each as segments: a
/// `{a, b::c}` group gives one path per item.
fn paths_from(code: &str, at: usize) -> Vec<Vec<String>> {
    let rest = &code[at..];
    let mut segments = Vec::new();
    let mut i = 0;
    let bytes = rest.as_bytes();
    loop {
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            i += 1;
        }
        if i == start {
            break;
        }
        segments.push(rest[start..i].to_owned());
        if rest[i..].starts_with("::") {
            i += 2;
            if rest[i..].starts_with('{') {
                // A group: split its top level by commas, recursively.
                let mut depth = 0;
                let mut item_start = i + 1;
                let mut paths = Vec::new();
                for (j, b) in rest[i..].bytes().enumerate() {
                    let j = i + j;
                    match b {
                        b'{' => depth += 1,
                        b'}' | b',' if depth == 1 => {
                            let item = rest[item_start..j].trim();
                            if !item.is_empty() {
                                let offset = at
                                    + item_start
                                    + (rest[item_start..j].len()
                                        - rest[item_start..j].trim_start().len());
                                for tail in paths_from(code, offset) {
                                    let mut path = segments.clone();
                                    path.extend(tail);
                                    paths.push(path);
                                }
                            }
                            item_start = j + 1;
                            if b == b'}' {
                                return paths;
                            }
                        }
                        b'}' => depth -= 1,
                        _ => {}
                    }
                }
                return paths;
            }
        } else {
            break;
        }
    }
    vec![segments]
}

/// Every path `module` (with source `code`) writes, made absolute (without `crate`).
fn absolute_paths(module: &str, code: &str, known: &BTreeSet<String>) -> Vec<Vec<String>> {
    let here: Vec<&str> = if module.is_empty() {
        Vec::new()
    } else {
        module.split("::").collect()
    };
    // The children this file declares, whose items it may name by a bare `child::` path.
    let children: Vec<String> = known
        .iter()
        .filter_map(|m| {
            let (parent, last) = m.rsplit_once("::").unwrap_or(("", m.as_str()));
            (parent == module && !m.is_empty()).then(|| last.to_owned())
        })
        .collect();
    let preceded_by_ident = |at: usize| {
        code[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    };
    let mut written: Vec<Vec<String>> = Vec::new();
    for start in ["crate::", "super::", "self::"] {
        for (at, _) in code.match_indices(start) {
            if !preceded_by_ident(at) {
                written.extend(paths_from(code, at));
            }
        }
    }
    for child in &children {
        for (at, _) in code.match_indices(&format!("{child}::")) {
            if !preceded_by_ident(at) {
                for mut path in paths_from(code, at) {
                    path.insert(0, "self".to_owned());
                    written.push(path);
                }
            }
        }
    }
    let mut absolute_paths = Vec::new();
    for path in written {
        let mut absolute: Vec<String> = Vec::new();
        let mut rest = path.as_slice();
        match rest.first().map(String::as_str) {
            Some("crate") => rest = &rest[1..],
            Some("self") => {
                absolute = here.iter().map(|s| s.to_string()).collect();
                rest = &rest[1..];
            }
            Some("super") => {
                absolute = here.iter().map(|s| s.to_string()).collect();
                while rest.first().is_some_and(|s| s == "super") {
                    absolute.pop();
                    rest = &rest[1..];
                }
            }
            _ => continue,
        }
        absolute.extend(rest.iter().cloned());
        absolute_paths.push(absolute);
    }
    absolute_paths
}

/// The modules `module` (with source `code`) refers to, other than itself.
fn uses(module: &str, code: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for absolute in absolute_paths(module, code, known) {
        // The longest prefix that is a module of ours.
        let target = (0..=absolute.len())
            .rev()
            .map(|n| absolute[..n].join("::"))
            .find(|m| known.contains(m));
        if let Some(target) = target
            && target != module
            && !target.is_empty()
        {
            found.insert(target);
        }
    }
    found
}

/// The dependency graph of the library's modules.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    modules
        .iter()
        .map(|(module, source)| (module.clone(), uses(module, &code_of(source), &known)))
        .collect()
}

/// The cycles of `graph` (one per strongly connected component of more than one module).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    // Reachability by repeated search: the graph has a few dozen nodes.
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_owned()];
        while let Some(m) = stack.pop() {
            for next in graph.get(&m).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|m| (m, reach(m))).collect();
    let mut done = BTreeSet::new();
    let mut found = Vec::new();
    for m in graph.keys() {
        if done.contains(m) || !reachable[m].contains(m) {
            continue;
        }
        let component: Vec<String> = graph
            .keys()
            .filter(|o| reachable[m].contains(*o) && reachable[*o].contains(m))
            .cloned()
            .collect();
        done.extend(component.iter().cloned());
        found.push(component);
    }
    found
}

fn layer_of(module: &str) -> Option<usize> {
    let top = module.split("::").next().unwrap_or(module);
    LAYERS.iter().position(|layer| layer.contains(&top))
}

#[test]
fn the_reader_sees_real_edges() {
    // The checker itself: known edges of this code base are found, through groups, `super`
    // and a parent's bare child paths.
    let graph = graph();
    assert!(graph["graphql::indicators"].contains("service::index"));
    assert!(graph["graphql::geography"].contains("graphql::types"));
    assert!(graph["service::index"].contains("service"));
    assert!(graph["graphql"].contains("graphql::limits"));
    assert!(graph["app"].contains("http"));
}

#[test]
fn no_module_imports_back_up() {
    let graph = graph();
    let found = cycles(&graph);
    assert!(found.is_empty(), "import cycles between modules: {found:?}");
}

#[test]
fn layers_are_used_downwards_only() {
    let graph = graph();
    let mut upwards = Vec::new();
    for (module, used) in &graph {
        let Some(from) = layer_of(module) else {
            continue;
        };
        for target in used {
            let Some(to) = layer_of(target) else { continue };
            let same_top = module.split("::").next() == target.split("::").next();
            if to < from || (to == from && !same_top) {
                upwards.push(format!("{module} -> {target}"));
            }
        }
    }
    assert!(upwards.is_empty(), "uses against the layers: {upwards:#?}");
    // Every top-level module has a layer, so a new one cannot slip past this check.
    let unplaced: Vec<&String> = graph
        .keys()
        .filter(|m| !m.is_empty() && !m.contains("::") && layer_of(m).is_none())
        .collect();
    assert!(unplaced.is_empty(), "modules without a layer: {unplaced:?}");
}

#[test]
fn resolvers_name_store_types_but_call_no_store_function() {
    // The GraphQL layer answers through the services; only its dataloaders, which batch the
    // store's own look-ups, call the store. Elsewhere in it a store path must end in a type.
    let modules = modules();
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    let mut calls = Vec::new();
    for (module, source) in &modules {
        if !module.starts_with("graphql") || module == "graphql::loaders" {
            continue;
        }
        for path in absolute_paths(module, &code_of(source), &known) {
            let last = path.last().map(String::as_str).unwrap_or_default();
            if path.first().is_some_and(|p| p == "store")
                && !last.starts_with(|c: char| c.is_ascii_uppercase())
            {
                calls.push(format!("{module}: {}", path.join("::")));
            }
        }
    }
    assert!(
        calls.is_empty(),
        "resolvers using the store directly: {calls:#?}"
    );
}
