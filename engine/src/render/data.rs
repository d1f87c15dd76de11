//! Python's dict and list for templates: changed in place, seen changed
//! through every reference.
//!
//! Salt's formulas build their data by mutation: `{% do d.update(...) %}`,
//! a macro that appends to a list it was given, `salt['grains.filter_by']`
//! merging into the dict it picked. minijinja's maps and lists are
//! immutable, so templates get these objects instead: literals (`{}`, `[]`,
//! wrapped by `syntax`), `dict()`, loaded YAML, pillar and grains.
//!
//! Conversion is lazy: a `Dict` may hold minijinja's plain maps and lists
//! (as pillar arrives), and turns a child into a `Dict` or `List` the first
//! time it is read, keeping it, so that every later read sees the same
//! object. A large pillar costs only what a template touches. Locks are
//! held only to copy in or out, never while calling into another value, so
//! `d.update(d)` cannot deadlock.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use indexmap::IndexMap;
use minijinja::value::{Enumerator, Kwargs, Object, ObjectRepr, Value, ValueKind};
use minijinja::{Error, ErrorKind, State};

type Map = IndexMap<Value, Value>;

/// A Python dict.
#[derive(Default)]
pub(super) struct Dict {
    items: Mutex<Map>,
    /// `get('a:b')` walks colons when there is no literal key `a:b`: the
    /// contract's divergence for the top of `pillar` and `grains`.
    traverse_get: bool,
}

/// A Python list.
#[derive(Default)]
pub(super) struct List {
    items: Mutex<Vec<Value>>,
}

impl Dict {
    pub(super) fn new(items: Map) -> Dict {
        Dict {
            items: Mutex::new(items),
            traverse_get: false,
        }
    }

    /// `pillar` or `grains` as a template sees them (see `traverse_get`).
    pub(super) fn root(plain: &Value) -> Value {
        let mut d = Dict::new(pairs(plain).into_iter().collect());
        d.traverse_get = true;
        Value::from_object(d)
    }

    fn lock(&self) -> MutexGuard<'_, Map> {
        self.items.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The entries, children made mutable (and kept so).
    pub(super) fn entries(&self) -> Vec<(Value, Value)> {
        let mut items = self.lock();
        items
            .iter_mut()
            .map(|(k, v)| {
                adopt_in_place(v);
                (k.clone(), v.clone())
            })
            .collect()
    }

    pub(super) fn get(&self, key: &Value) -> Option<Value> {
        let mut items = self.lock();
        let v = items.get_mut(key)?;
        adopt_in_place(v);
        Some(v.clone())
    }

    pub(super) fn insert(&self, key: Value, value: Value) {
        self.lock().insert(key, value);
    }

    pub(super) fn remove(&self, key: &Value) -> Option<Value> {
        self.lock().shift_remove(key)
    }

    pub(super) fn contains(&self, key: &Value) -> bool {
        self.lock().contains_key(key)
    }

    pub(super) fn len(&self) -> usize {
        self.lock().len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl List {
    pub(super) fn new(items: Vec<Value>) -> List {
        List {
            items: Mutex::new(items),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Value>> {
        self.items.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The items, children made mutable (and kept so).
    pub(super) fn items(&self) -> Vec<Value> {
        let mut items = self.lock();
        items.iter_mut().for_each(adopt_in_place);
        items.clone()
    }

    pub(super) fn push(&self, v: Value) {
        self.lock().push(v);
    }

    pub(super) fn len(&self) -> usize {
        self.lock().len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn index(&self, i: i64) -> Option<usize> {
        let len = self.len() as i64;
        let i = if i < 0 { len + i } else { i };
        (0..len).contains(&i).then_some(i as usize)
    }
}

/// A Python tuple: a sequence that prints as `(a, b)`.
#[derive(Debug)]
pub(super) struct Tuple(pub Vec<Value>);

impl Object for Tuple {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let i = i64::try_from(key.clone()).ok()?;
        let i = if i < 0 { self.0.len() as i64 + i } else { i };
        self.0.get(usize::try_from(i).ok()?).cloned()
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.0.clone())
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.0.len())
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&super::filters::python_repr(&Value::from_dyn_object(
            self.clone(),
        )))
    }
}

/// A tuple of `items`.
pub(super) fn tuple(items: impl IntoIterator<Item = Value>) -> Value {
    Value::from_object(Tuple(items.into_iter().collect()))
}

/// `__tuple((a, b))`: a template's tuple literal.
pub(super) fn tuple_literal(v: Value) -> Value {
    tuple(items(&v))
}

/// A new mutable dict holding `items`.
pub(super) fn dict(items: impl IntoIterator<Item = (Value, Value)>) -> Value {
    Value::from_object(Dict::new(items.into_iter().collect()))
}

/// A YAML node as template data, keys keeping their type (`12:` is the
/// integer 12, as PyYAML reads it; JSON would make it a string).
pub(super) fn from_node(node: &crate::yaml::Node) -> Value {
    use crate::yaml::Value as Y;
    match &node.value {
        Y::Null => Value::from(()),
        Y::Bool(b) => Value::from(*b),
        Y::Int(i) => Value::from(*i),
        Y::Float(f) => Value::from(*f),
        Y::Str(s) => Value::from(s.as_str()),
        Y::Seq(items) => list(items.iter().map(from_node)),
        Y::Map(map) => dict(
            map.entries
                .iter()
                .map(|(k, v)| (from_node(k), from_node(v))),
        ),
    }
}

/// A new mutable list holding `items`.
pub(super) fn list(items: impl IntoIterator<Item = Value>) -> Value {
    Value::from_object(List::new(items.into_iter().collect()))
}

/// `v` as a template may change it: a plain map or list becomes a `Dict`
/// or `List` (its own children converted when read); anything else,
/// mutable objects included, is returned as it is.
pub(super) fn adopt(v: Value) -> Value {
    if v.downcast_object_ref::<IndexMap<Value, Value>>().is_some() {
        dict(pairs(&v))
    } else if v.downcast_object_ref::<Vec<Value>>().is_some() {
        list(v.try_iter().into_iter().flatten())
    } else {
        v
    }
}

fn adopt_in_place(v: &mut Value) {
    if v.downcast_object_ref::<IndexMap<Value, Value>>().is_some()
        || v.downcast_object_ref::<Vec<Value>>().is_some()
    {
        *v = adopt(v.clone());
    }
}

/// The (key, value) pairs of any map-like value.
pub(super) fn pairs(v: &Value) -> Vec<(Value, Value)> {
    if let Some(d) = v.downcast_object_ref::<Dict>() {
        return d.entries();
    }
    if v.kind() != ValueKind::Map {
        return Vec::new();
    }
    match v.try_iter() {
        Ok(keys) => keys
            .map(|k| {
                let item = v.get_item(&k).unwrap_or_default();
                (k, item)
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// The items of any sequence (or the keys of a map, as Python iterates).
pub(super) fn items(v: &Value) -> Vec<Value> {
    if let Some(l) = v.downcast_object_ref::<List>() {
        return l.items();
    }
    v.try_iter().map(|i| i.collect()).unwrap_or_default()
}

pub(super) fn is_map(v: &Value) -> bool {
    v.kind() == ValueKind::Map
}

/// A Python list (not a string, not a map): what `isinstance(v, list)`
/// asks in Salt's merges.
pub(super) fn is_list(v: &Value) -> bool {
    v.kind() == ValueKind::Seq
}

/// `copy.deepcopy`: fresh dicts and lists all the way down.
pub(super) fn deep_copy(v: &Value) -> Value {
    match v.kind() {
        ValueKind::Map if is_data(v) => {
            dict(pairs(v).into_iter().map(|(k, val)| (k, deep_copy(&val))))
        }
        ValueKind::Seq => list(items(v).iter().map(deep_copy)),
        _ => v.clone(),
    }
}

/// A value made of data only (dicts, lists, scalars), as opposed to a
/// mapping-like object such as `salt` or a module.
fn is_data(v: &Value) -> bool {
    v.downcast_object_ref::<Dict>().is_some()
        || v.downcast_object_ref::<IndexMap<Value, Value>>().is_some()
        || v.as_object().is_some_and(|o| o.repr() == ObjectRepr::Map)
}

/// A dict for `value`, mutated in place when it is one already; `None`
/// when it is not a mapping.
pub(super) fn as_dict(v: &Value) -> Option<Arc<Dict>> {
    if let Some(d) = v.downcast_object::<Dict>() {
        return Some(d);
    }
    is_map(v).then(|| Arc::new(Dict::new(pairs(v).into_iter().collect())))
}

fn key_error(key: &Value) -> Error {
    Error::new(
        ErrorKind::InvalidOperation,
        format!("KeyError: {}", super::filters::python_repr(key)),
    )
}

fn no_kwargs(kwargs: &Kwargs, method: &str) -> Result<(), Error> {
    if kwargs.args().next().is_some() {
        return Err(Error::new(
            ErrorKind::TooManyArguments,
            format!("{method}() takes no keyword arguments"),
        ));
    }
    Ok(())
}

/// Split `args` into positional ones and keyword arguments.
fn split(args: &[Value]) -> (&[Value], Kwargs) {
    match args.last() {
        Some(last) if last.is_kwargs() => (
            &args[..args.len() - 1],
            Kwargs::try_from(last.clone())
                .unwrap_or_else(|_| Kwargs::from_iter(std::iter::empty::<(&str, Value)>())),
        ),
        _ => (args, Kwargs::from_iter(std::iter::empty::<(&str, Value)>())),
    }
}

fn arity(method: &str, args: &[Value], min: usize, max: usize) -> Result<(), Error> {
    if args.len() < min {
        return Err(Error::new(
            ErrorKind::MissingArgument,
            format!(
                "{method}() expects at least {min} argument(s), got {}",
                args.len()
            ),
        ));
    }
    if args.len() > max {
        return Err(Error::new(
            ErrorKind::TooManyArguments,
            format!(
                "{method}() expects at most {max} argument(s), got {}",
                args.len()
            ),
        ));
    }
    Ok(())
}

impl fmt::Debug for Dict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.lock().iter()).finish()
    }
}

impl fmt::Debug for List {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.lock().iter()).finish()
    }
}

impl Object for Dict {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get(key)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.lock().keys().cloned().collect())
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.len())
    }

    fn is_true(self: &Arc<Self>) -> bool {
        !self.is_empty()
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&super::filters::python_repr(&Value::from_dyn_object(
            self.clone(),
        )))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let (args, kwargs) = split(args);
        match method {
            "get" => {
                arity(method, args, 1, 2)?;
                no_kwargs(&kwargs, method)?;
                let found = self.get(&args[0]).or_else(|| {
                    if !self.traverse_get {
                        return None;
                    }
                    let me = Value::from_dyn_object(self.clone());
                    super::lookup::traverse(&me, args[0].as_str()?, ":")
                });
                Ok(found.unwrap_or_else(|| args.get(1).cloned().unwrap_or(Value::from(()))))
            }
            "keys" => {
                arity(method, args, 0, 0)?;
                Ok(Value::from(self.lock().keys().cloned().collect::<Vec<_>>()))
            }
            "values" => {
                arity(method, args, 0, 0)?;
                Ok(Value::from(
                    self.entries()
                        .into_iter()
                        .map(|(_, v)| v)
                        .collect::<Vec<_>>(),
                ))
            }
            "items" | "iteritems" => {
                arity(method, args, 0, 0)?;
                Ok(Value::from(
                    self.entries()
                        .into_iter()
                        .map(|(k, v)| tuple([k, v]))
                        .collect::<Vec<_>>(),
                ))
            }
            "update" => {
                arity(method, args, 0, 1)?;
                let mut new = args
                    .first()
                    .map(update_pairs)
                    .transpose()?
                    .unwrap_or_default();
                for key in kwargs.args() {
                    new.push((Value::from(key), kwargs.get::<Value>(key)?));
                }
                let mut items = self.lock();
                for (k, v) in new {
                    items.insert(k, v);
                }
                Ok(Value::from(()))
            }
            "pop" => {
                arity(method, args, 1, 2)?;
                match self.remove(&args[0]) {
                    Some(mut v) => {
                        adopt_in_place(&mut v);
                        Ok(v)
                    }
                    None => args.get(1).cloned().ok_or_else(|| key_error(&args[0])),
                }
            }
            "popitem" => {
                arity(method, args, 0, 0)?;
                let (k, v) = self.lock().pop().ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidOperation,
                        "KeyError: 'popitem(): dictionary is empty'",
                    )
                })?;
                Ok(tuple([k, adopt(v)]))
            }
            "setdefault" => {
                arity(method, args, 1, 2)?;
                if let Some(v) = self.get(&args[0]) {
                    return Ok(v);
                }
                let v = args.get(1).cloned().unwrap_or(Value::from(()));
                self.insert(args[0].clone(), v.clone());
                Ok(v)
            }
            "copy" => {
                arity(method, args, 0, 0)?;
                Ok(dict(self.entries()))
            }
            "clear" => {
                arity(method, args, 0, 0)?;
                self.lock().clear();
                Ok(Value::from(()))
            }
            "has_key" => {
                arity(method, args, 1, 1)?;
                Ok(Value::from(self.contains(&args[0])))
            }
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

/// What `dict.update(x)` takes: a mapping, or a sequence of pairs.
fn update_pairs(v: &Value) -> Result<Vec<(Value, Value)>, Error> {
    if is_map(v) {
        return Ok(pairs(v));
    }
    let mut out = Vec::new();
    for item in v.try_iter()? {
        let pair = items(&item);
        if pair.len() != 2 {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                "dictionary update sequence element has the wrong length; 2 is required",
            ));
        }
        out.push((pair[0].clone(), pair[1].clone()));
    }
    Ok(out)
}

impl Object for List {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let i = self.index(i64::try_from(key.clone()).ok()?)?;
        let mut items = self.lock();
        let v = items.get_mut(i)?;
        adopt_in_place(v);
        Some(v.clone())
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.items())
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(self.len())
    }

    fn is_true(self: &Arc<Self>) -> bool {
        !self.is_empty()
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&super::filters::python_repr(&Value::from_dyn_object(
            self.clone(),
        )))
    }

    fn call_method(
        self: &Arc<Self>,
        state: &State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let (args, kwargs) = split(args);
        if method != "sort" {
            no_kwargs(&kwargs, method)?;
        }
        match method {
            "append" => {
                arity(method, args, 1, 1)?;
                self.push(args[0].clone());
                Ok(Value::from(()))
            }
            "extend" => {
                arity(method, args, 1, 1)?;
                let new = items(&args[0]);
                self.lock().extend(new);
                Ok(Value::from(()))
            }
            "insert" => {
                arity(method, args, 2, 2)?;
                let i = i64::try_from(args[0].clone())?;
                let mut items = self.lock();
                let len = items.len() as i64;
                let at = if i < 0 { (len + i).max(0) } else { i.min(len) };
                items.insert(at as usize, args[1].clone());
                Ok(Value::from(()))
            }
            "pop" => {
                arity(method, args, 0, 1)?;
                let i = match args.first() {
                    Some(i) => i64::try_from(i.clone())?,
                    None => -1,
                };
                let at = self.index(i).ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidOperation,
                        "IndexError: pop index out of range",
                    )
                })?;
                let v = self.lock().remove(at);
                Ok(adopt(v))
            }
            "remove" => {
                arity(method, args, 1, 1)?;
                let mut items = self.lock();
                let at = items.iter().position(|v| v == &args[0]).ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidOperation,
                        "ValueError: list.remove(x): x not in list",
                    )
                })?;
                items.remove(at);
                Ok(Value::from(()))
            }
            "index" => {
                arity(method, args, 1, 3)?;
                let items = self.lock();
                let len = items.len() as i64;
                let bound = |v: Option<&Value>, dflt: i64| -> Result<usize, Error> {
                    let i = match v {
                        Some(v) => i64::try_from(v.clone())?,
                        None => dflt,
                    };
                    Ok((if i < 0 { (len + i).max(0) } else { i.min(len) }) as usize)
                };
                let (start, end) = (bound(args.get(1), 0)?, bound(args.get(2), len)?);
                (start..end.max(start))
                    .find(|&i| items[i] == args[0])
                    .map(|i| Value::from(i as i64))
                    .ok_or_else(|| {
                        Error::new(
                            ErrorKind::InvalidOperation,
                            format!(
                                "ValueError: {} is not in list",
                                super::filters::python_repr(&args[0])
                            ),
                        )
                    })
            }
            "count" => {
                arity(method, args, 1, 1)?;
                Ok(Value::from(
                    self.lock().iter().filter(|v| *v == &args[0]).count(),
                ))
            }
            "sort" => {
                arity(method, args, 0, 0)?;
                let reverse: Option<bool> = kwargs.get("reverse")?;
                let key: Option<Value> = kwargs.get("key")?;
                kwargs.assert_all_used()?;
                let mut snapshot = self.items();
                match key {
                    Some(f) => {
                        let mut keyed = Vec::with_capacity(snapshot.len());
                        for v in snapshot {
                            keyed.push((f.call(state, std::slice::from_ref(&v))?, v));
                        }
                        keyed.sort_by(|a, b| a.0.cmp(&b.0));
                        snapshot = keyed.into_iter().map(|(_, v)| v).collect();
                    }
                    None => snapshot.sort(),
                }
                if reverse.unwrap_or(false) {
                    snapshot.reverse();
                }
                *self.lock() = snapshot;
                Ok(Value::from(()))
            }
            "reverse" => {
                arity(method, args, 0, 0)?;
                self.lock().reverse();
                Ok(Value::from(()))
            }
            "copy" => {
                arity(method, args, 0, 0)?;
                Ok(list(self.items()))
            }
            "clear" => {
                arity(method, args, 0, 0)?;
                self.lock().clear();
                Ok(Value::from(()))
            }
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }
}

/// `__mut(literal)`: the function the rewritten templates wrap literals in.
pub(super) fn mutable_literal(v: Value) -> Value {
    adopt(v)
}

/// Python's `dict(...)`: from a mapping or pairs, and keyword arguments.
pub(super) fn dict_function(
    args: minijinja::value::Rest<Value>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    arity("dict", &args, 0, 1)?;
    let mut out = args
        .first()
        .map(update_pairs)
        .transpose()?
        .unwrap_or_default();
    for key in kwargs.args() {
        out.push((Value::from(key), kwargs.get::<Value>(key)?));
    }
    Ok(dict(out))
}

/// The error for a mutating method called on a value that cannot change
/// (a tuple, a filter's result): say so instead of "unknown method".
pub(super) fn immutable_error(value: &Value, method: &str) -> Option<Error> {
    const MUTATING: &[&str] = &[
        "append",
        "extend",
        "insert",
        "remove",
        "update",
        "setdefault",
        "pop",
        "popitem",
        "clear",
        "sort",
        "reverse",
    ];
    (MUTATING.contains(&method) && matches!(value.kind(), ValueKind::Map | ValueKind::Seq)).then(
        || {
            Error::new(
                ErrorKind::InvalidOperation,
                format!(
                    "cannot {method}() this {}: it is a value that cannot change in place \
                 (make a copy with `dict(...)` or `... | list` first)",
                    if value.kind() == ValueKind::Map {
                        "mapping"
                    } else {
                        "sequence"
                    }
                ),
            )
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_are_adopted_once_and_shared() {
        let plain = Value::from_serialize(serde_json::json!({"a": {"b": [1]}}));
        let d = adopt(plain);
        let a1 = d.get_item(&Value::from("a")).unwrap();
        let a2 = d.get_item(&Value::from("a")).unwrap();
        assert!(a1.downcast_object_ref::<Dict>().is_some());
        a1.downcast_object_ref::<Dict>()
            .unwrap()
            .insert(Value::from("c"), Value::from(2));
        assert_eq!(a2.get_item(&Value::from("c")).unwrap(), Value::from(2));
        assert_eq!(
            serde_json::to_value(&d).unwrap(),
            serde_json::json!({"a": {"b": [1], "c": 2}})
        );
    }

    #[test]
    fn deep_copies_are_independent() {
        let d = adopt(Value::from_serialize(serde_json::json!({"a": [1]})));
        let c = deep_copy(&d);
        let a = c.get_item(&Value::from("a")).unwrap();
        a.downcast_object_ref::<List>()
            .unwrap()
            .push(Value::from(2));
        assert_eq!(
            serde_json::to_value(&d).unwrap(),
            serde_json::json!({"a": [1]})
        );
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            serde_json::json!({"a": [1, 2]})
        );
    }
}
