# METADATA
# title: Per-policy scope
# description: |
#   applies(policy_id): whether the policy applies to input.request, from
#   config.scope[policy_id] and config.scope[its family]; a policy applies
#   when every entry that names it matches (no entry: it applies).
#   errors(known): the problems in config.scope, given the known ids and
#   families.
#   An entry matches as Gatekeeper's spec.match does (open-policy-agent/
#   gatekeeper@dd8507e pkg/mutation/match/match.go, and pkg/target/
#   matcher.go's matchAny for object/oldObject):
#   kinds [{apiGroups, kinds}] ("*" or [] any); namespaces and
#   excludedNamespaces (exact or "prefix*"), tested against a Namespace
#   object's own name and not at all for other cluster-scoped objects;
#   namespaceSelector on a Namespace object's labels (new or old object).
#   Unlike Gatekeeper, a namespaced object's Namespace is not in the request,
#   so its labels are not seen: the selector does not narrow the scope there
#   (Gatekeeper rejects such a request; skipping the policy would relax it).
#   exceptions [{namespace, name}] skip one object ("" for cluster-scoped).
package wasmgate.lib.scope

import data.wasmgate.lib.chars
import data.wasmgate.lib.config
import data.wasmgate.lib.enforcement
import data.wasmgate.lib.request

_entries := config.section("scope")

criteria := {"namespaces", "excludedNamespaces", "namespaceSelector", "kinds", "exceptions"}

selector_operators := {"In", "NotIn", "Exists", "DoesNotExist"}

# The entries that leave this request out, computed once per evaluation.
_skipped contains key if {
	some key, entry in _entries
	_excludes(entry)
}

applies(policy_id) if {
	not policy_id in _skipped
	not enforcement.family(policy_id) in _skipped
}

# --- what the request is ---

_is_namespace if {
	request.kind == "Namespace"
	request.group == ""
}

# The namespace the namespace criteria test: a Namespace object's own name,
# a namespaced object's namespace; undefined for other cluster-scoped objects.
_namespace := request.name if _is_namespace

else := request.namespace if request.namespace != ""

# The namespace of an exception: "" for every cluster-scoped object.
_exception_namespace := "" if _is_namespace

else := request.namespace

# The labels of the Namespace object under review (UPDATE: both versions).
_namespace_labels contains labels if {
	_is_namespace
	some obj in [object.get(request.req, "object", null), object.get(request.req, "oldObject", null)]
	is_object(obj)
	labels := _labels(obj)
}

_labels(obj) := obj.metadata.labels if is_object(obj.metadata.labels)

else := {}

# --- matching (each rule: this well-formed criterion leaves the request out) ---

_excludes(entry) if {
	kinds := entry.kinds
	is_array(kinds)
	count(kinds) > 0
	not _some_kind_matches(kinds)
}

_excludes(entry) if {
	patterns := entry.namespaces
	is_array(patterns)
	count(patterns) > 0
	ns := _namespace
	not _some_pattern_matches(patterns, ns)
}

_excludes(entry) if {
	_some_pattern_matches(entry.excludedNamespaces, _namespace)
}

_excludes(entry) if {
	selector := entry.namespaceSelector
	is_object(selector)
	count(_namespace_labels) > 0
	every labels in _namespace_labels {
		not _selector_matches(selector, labels)
	}
}

_excludes(entry) if {
	some exception in entry.exceptions
	exception.namespace == _exception_namespace
	_pattern_matches(exception.name, request.name)
}

_some_kind_matches(kinds) if {
	some k in kinds
	is_object(k)
	_any_or_listed(_array(object.get(k, "kinds", [])), request.kind)
	_any_or_listed(_array(object.get(k, "apiGroups", [])), request.group)
}

_any_or_listed([], _)

_any_or_listed(list, _) if "*" in list

_any_or_listed(list, value) if value in list

_some_pattern_matches(patterns, s) if {
	is_array(patterns)
	some p in patterns
	_pattern_matches(p, s)
}

# "prefix*" matches every name starting with prefix (a generateName shows as
# "prefix*" too, see lib/request); anything else matches itself only.
_pattern_matches(p, s) if {
	is_string(p)
	endswith(p, "*")
	startswith(s, trim_suffix(p, "*"))
}

_pattern_matches(p, s) if {
	is_string(p)
	not endswith(p, "*")
	p == s
}

# Kubernetes label selectors: every matchLabels pair and every expression.
_selector_matches(selector, labels) if {
	every key, value in _object(object.get(selector, "matchLabels", {})) {
		labels[key] == value
	}
	every expression in _array(object.get(selector, "matchExpressions", [])) {
		_expression_matches(expression, labels)
	}
}

_expression_matches(e, labels) if {
	e.operator == "In"
	_value_in(e, labels)
}

_expression_matches(e, labels) if {
	e.operator == "NotIn"
	not _value_in(e, labels)
}

# A function, so that "not" also holds when the label is missing.
_value_in(e, labels) if labels[e.key] in e.values

_expression_matches(e, labels) if {
	e.operator == "Exists"
	e.key in config.keys(labels)
}

_expression_matches(e, labels) if {
	e.operator == "DoesNotExist"
	not e.key in config.keys(labels)
}

# --- validation of config.scope ---

errors(known) := {sprintf("config.scope has unknown policy %q (known: %s)", [key, concat(", ", sort(known))]) |
	some key, _ in _entries
	not key in known
} | _entry_errors

_entry_errors contains sprintf("config.scope.%s must be an object, got %s", [key, type_name(entry)]) if {
	some key, entry in _entries
	not is_object(entry)
}

_entry_errors contains msg if {
	some key, entry in _entries
	some msg in config.unknown_key_errors(concat(".", ["config.scope", key]), entry, criteria)
}

_entry_errors contains msg if {
	some key, entry in _entries
	some criterion in ["namespaces", "excludedNamespaces", "kinds", "exceptions"]
	criterion in config.keys(entry)
	some msg in config.type_errors(concat(".", ["config.scope", key]), entry, criterion, "array", false)
}

_entry_errors contains msg if {
	some key, entry in _entries
	some msg in config.type_errors(concat(".", ["config.scope", key]), entry, "namespaceSelector", "object", false)
}

# namespaces, excludedNamespaces: namespace names or "prefix*".
_entry_errors contains msg if {
	some key, entry in _entries
	some criterion in ["namespaces", "excludedNamespaces"]
	is_array(entry[criterion])
	some msg in config.string_list_errors(sprintf("config.scope.%s.%s", [key, criterion]), entry[criterion])
}

_entry_errors contains sprintf("config.scope.%s.%s[%d] %q %s", [key, criterion, i, p, problem]) if {
	some key, entry in _entries
	some criterion in ["namespaces", "excludedNamespaces"]
	some i, p in _array(entry[criterion])
	is_string(p)
	p != ""
	not _namespace_pattern(p)
	problem := _namespace_pattern_problem(p)
}

_namespace_pattern_problem(p) := "has \"*\" in a wrong place: a pattern is a namespace name, or a prefix followed by one \"*\" at the end (e.g. team-*)" if {
	contains(trim_suffix(p, "*"), "*")
} else := "is not a namespace name, or a prefix of one followed by \"*\" (lower-case letters, digits and \"-\", e.g. team-*)"

_namespace_pattern(p) if config.namespace_name(p)

_namespace_pattern(p) if {
	endswith(p, "*")
	prefix := trim_suffix(p, "*")
	chars.only(prefix, concat("", [chars.lower_alnum, "-"]))
	not startswith(prefix, "-")
}

# kinds: [{apiGroups, kinds}], lists of strings where "*" stands alone.
_entry_errors contains msg if {
	some key, entry in _entries
	some i, k in _array(entry.kinds)
	some msg in _kind_errors(sprintf("config.scope.%s.kinds[%d]", [key, i]), k)
}

_kind_errors(path, k) := {sprintf("%s must be an object with apiGroups and kinds, got %s", [path, type_name(k)])} if {
	not is_object(k)
} else := config.unknown_key_errors(path, k, {"apiGroups", "kinds"}) | {msg |
	some field in ["apiGroups", "kinds"]
	field in config.keys(k)
	some msg in _kind_list_errors(concat(".", [path, field]), field, k[field])
}

_kind_list_errors(path, field, list) := {sprintf("%s must be an array of strings, got %s", [path, type_name(list)])} if {
	not is_array(list)
} else := {msg |
	some i, s in list
	some msg in _kind_name_errors(sprintf("%s[%d]", [path, i]), field, s)
}

# An API group may be "" (the core group); a kind may not.
_kind_name_errors(path, field, s) := {sprintf("%s must be a string, got %s", [path, type_name(s)])} if {
	not is_string(s)
} else := {sprintf("%s must not be empty (the core API group is \"\" in apiGroups)", [path])} if {
	field == "kinds"
	s == ""
} else := {sprintf("%s %q has \"*\" in it: \"*\" stands alone (any), there are no partial wildcards", [path, s])} if {
	s != "*"
	contains(s, "*")
} else := set()

# namespaceSelector: a Kubernetes LabelSelector.
_entry_errors contains msg if {
	some key, entry in _entries
	selector := entry.namespaceSelector
	is_object(selector)
	some msg in _selector_errors(sprintf("config.scope.%s.namespaceSelector", [key]), selector)
}

_selector_errors(path, selector) := union({
	config.unknown_key_errors(path, selector, {"matchLabels", "matchExpressions"}),
	config.type_errors(path, selector, "matchLabels", "object", false),
	config.type_errors(path, selector, "matchExpressions", "array", false),
	{sprintf("%s.matchLabels.%s must be a string, got %s", [path, k, type_name(v)]) |
		some k, v in _object(selector.matchLabels)
		not is_string(v)
	},
	{msg |
		some i, e in _array(selector.matchExpressions)
		some msg in _expression_errors(sprintf("%s.matchExpressions[%d]", [path, i]), e)
	},
})

_expression_errors(path, e) := {sprintf("%s must be an object with key, operator and values, got %s", [path, type_name(e)])} if {
	not is_object(e)
} else := union({
	config.unknown_key_errors(path, e, {"key", "operator", "values"}),
	config.type_errors(path, e, "key", "string", true),
	config.type_errors(path, e, "operator", "string", true),
	_operator_errors(path, e),
	_values_errors(path, e),
})

_operator_errors(path, e) := {sprintf("%s.operator %q is not one of %s", [path, e.operator, concat(", ", sort(selector_operators))])} if {
	is_string(e.operator)
	not e.operator in selector_operators
} else := set()

_values_errors(path, e) := config.string_list_errors(concat(".", [path, "values"]), e.values) if {
	"values" in config.keys(e)
	not is_array(e.values)
} else := {sprintf("%s.values must be a non-empty array of strings when operator is %s", [path, e.operator])} if {
	e.operator in {"In", "NotIn"}
	count(_array(object.get(e, "values", []))) == 0
} else := {sprintf("%s.values must be empty when operator is %s", [path, e.operator])} if {
	e.operator in {"Exists", "DoesNotExist"}
	count(_array(object.get(e, "values", []))) > 0
} else := {sprintf("%s.values[%d] must be a string, got %s", [path, i, type_name(v)]) |
	some i, v in _array(object.get(e, "values", []))
	not is_string(v)
}

# exceptions: [{namespace, name}], name exact or "prefix*".
_entry_errors contains msg if {
	some key, entry in _entries
	some i, e in _array(entry.exceptions)
	some msg in _exception_errors(sprintf("config.scope.%s.exceptions[%d]", [key, i]), e)
}

_exception_errors(path, e) := {sprintf("%s must be an object with namespace and name, got %s", [path, type_name(e)])} if {
	not is_object(e)
} else := union({
	config.unknown_key_errors(path, e, {"namespace", "name"}),
	_exception_namespace_errors(path, e),
	config.type_errors(path, e, "name", "string", true),
	_exception_name_errors(path, e),
})

_exception_namespace_errors(path, e) := {sprintf("%s.namespace is required (\"\" for a cluster-scoped object)", [path])} if {
	not "namespace" in config.keys(e)
} else := config.type_errors(path, e, "namespace", "string", true) if {
	not is_string(e.namespace)
} else := {sprintf("%s.namespace %q is not a namespace name (\"\" for a cluster-scoped object)", [path, e.namespace])} if {
	e.namespace != ""
	not config.namespace_name(e.namespace)
} else := set()

_exception_name_errors(path, e) := {sprintf("%s.name must not be empty", [path])} if {
	e.name == ""
} else := {sprintf("%s.name %q has \"*\" in a wrong place: a name is exact or a prefix followed by one \"*\" at the end", [path, e.name])} if {
	is_string(e.name)
	contains(trim_suffix(e.name, "*"), "*")
} else := set()

_array(a) := a if is_array(a)

else := []

_object(o) := o if is_object(o)

else := {}
