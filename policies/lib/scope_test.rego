package wasmgate.lib.scope_test

import data.wasmgate.lib.scope
import data.wasmgate.lib.testdata

_deployment(ns, name) := testdata.review("Deployment", ns, name, {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": ns},
})

_namespace(name, labels) := testdata.review("Namespace", "", name, {
	"apiVersion": "v1",
	"kind": "Namespace",
	"metadata": {"name": name, "labels": labels},
})

_cluster_role(name) := {"request": {
	"kind": {"group": "rbac.authorization.k8s.io", "version": "v1", "kind": "ClusterRole"},
	"namespace": "",
	"name": name,
	"operation": "CREATE",
	"object": {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": name}},
}}

# applies(id) for the request under config.scope = s.
_applies(id, s, inp) if scope.applies(id) with data.config as testdata.config_with("scope", s) with input as inp

test_no_scope_applies_everywhere if {
	scope.applies("registries") with input as _deployment("team-a", "web")
	scope.applies("registries") with input as {}
	_applies("registries", {}, _deployment("team-a", "web"))

	# Without config.scope at all (it is optional).
	scope.applies("registries") with data.config as object.remove(data.config, ["scope"]) with input as _deployment("team-a", "web")
}

test_exception_skips_one_object if {
	s := {"registries": {"exceptions": [{"namespace": "team-a", "name": "legacy"}]}}
	not _applies("registries", s, _deployment("team-a", "legacy"))
	_applies("registries", s, _deployment("team-a", "legacy-2"))
	_applies("registries", s, _deployment("team-b", "legacy"))
	_applies("limits.missing", s, _deployment("team-a", "legacy"))
}

test_exception_prefix if {
	s := {"registries": {"exceptions": [{"namespace": "team-a", "name": "legacy-*"}]}}
	not _applies("registries", s, _deployment("team-a", "legacy-1"))
	not _applies("registries", s, _deployment("team-a", "legacy-"))
	_applies("registries", s, _deployment("team-a", "legacy"))

	# A pod named by generateName "legacy-abc-": lib/request names it "legacy-abc-*".
	pod := testdata.review("Pod", "team-a", "", {"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "legacy-abc-", "namespace": "team-a"}})
	not _applies("registries", s, pod)
	exact := {"registries": {"exceptions": [{"namespace": "team-a", "name": "legacy-abc-"}]}}
	_applies("registries", exact, pod)
}

test_exception_cluster_scoped if {
	s := {"calico.global": {"exceptions": [{"namespace": "", "name": "allow-dns"}]}}
	gnp := testdata.review("GlobalNetworkPolicy", "", "allow-dns", {"metadata": {"name": "allow-dns"}})
	not _applies("calico.global", s, gnp)
	_applies("calico.global", s, _deployment("default", "allow-dns"))

	# A Namespace object is cluster-scoped, whatever request.namespace the API server sends for it.
	ns := {"system-namespaces": {"exceptions": [{"namespace": "", "name": "ingress"}]}}
	not _applies("system-namespaces", ns, _namespace("ingress", {}))
	update := {"request": object.union(_namespace("ingress", {}).request, {"namespace": "ingress", "operation": "UPDATE"})}
	not _applies("system-namespaces", ns, update)
}

test_namespaces_and_wildcards if {
	s := {"limits": {"namespaces": ["prod", "team-*"]}}
	_applies("limits.missing", s, _deployment("prod", "web"))
	_applies("limits.missing", s, _deployment("team-a", "web"))
	_applies("limits.missing", s, _deployment("team-", "web"))
	not _applies("limits.missing", s, _deployment("production", "web"))
	not _applies("limits.missing", s, _deployment("default", "web"))

	# "*" alone is every namespace.
	_applies("limits.missing", {"limits": {"namespaces": ["*"]}}, _deployment("default", "web"))

	# An empty list sets nothing.
	_applies("limits.missing", {"limits": {"namespaces": []}}, _deployment("default", "web"))
}

test_excluded_namespaces if {
	s := {"limits": {"excludedNamespaces": ["sandbox", "tmp-*"]}}
	not _applies("limits.missing", s, _deployment("sandbox", "web"))
	not _applies("limits.missing", s, _deployment("tmp-1", "web"))
	_applies("limits.missing", s, _deployment("sandbox-2", "web"))
	_applies("limits.missing", s, _deployment("tmp", "web"))
	_applies("registries", s, _deployment("sandbox", "web"))
}

# Gatekeeper's namespacesMatch/excludedNamespacesMatch: a Namespace is tested by its own name, other
# cluster-scoped objects are never disqualified by namespace criteria.
test_namespace_criteria_on_cluster_scoped_objects if {
	only := {"system-namespaces": {"namespaces": ["team-*"]}}
	_applies("system-namespaces", only, _namespace("team-a", {}))
	not _applies("system-namespaces", only, _namespace("kube-system", {}))
	_applies("calico.global", {"calico": {"namespaces": ["team-*"]}}, _cluster_role("x"))

	excluded := {"system-namespaces": {"excludedNamespaces": ["kube-*"]}}
	not _applies("system-namespaces", excluded, _namespace("kube-system", {}))
	_applies("system-namespaces", excluded, _namespace("ingress", {}))
	_applies("calico.global", {"calico": {"excludedNamespaces": ["*"]}}, _cluster_role("x"))
}

test_kinds if {
	apps := {"limits": {"kinds": [{"apiGroups": ["apps"], "kinds": ["Deployment", "StatefulSet"]}]}}
	_applies("limits.missing", apps, _deployment("default", "web"))
	not _applies("limits.missing", apps, testdata.pod("default", testdata.pod_spec([testdata.container("web")])))

	core := {"limits": {"kinds": [{"apiGroups": [""], "kinds": ["Pod"]}, {"apiGroups": ["batch"], "kinds": ["*"]}]}}
	_applies("limits.missing", core, testdata.pod("default", testdata.pod_spec([testdata.container("web")])))
	_applies("limits.missing", core, testdata.review("CronJob", "default", "c", {}))
	not _applies("limits.missing", core, _deployment("default", "web"))

	# "*" or an empty list of groups: any group.
	_applies("limits.missing", {"limits": {"kinds": [{"apiGroups": ["*"], "kinds": ["Deployment"]}]}}, _deployment("default", "web"))
	_applies("limits.missing", {"limits": {"kinds": [{"kinds": ["Deployment"]}]}}, _deployment("default", "web"))
	_applies("limits.missing", {"limits": {"kinds": [{"apiGroups": ["apps"]}]}}, _deployment("default", "web"))
	not _applies("limits.missing", {"limits": {"kinds": [{"apiGroups": ["extensions"]}]}}, _deployment("default", "web"))
	_applies("limits.missing", {"limits": {"kinds": []}}, _deployment("default", "web"))
}

test_namespace_selector_on_namespace_objects if {
	s := {"system-namespaces": {"namespaceSelector": {
		"matchLabels": {"team": "platform"},
		"matchExpressions": [
			{"key": "tier", "operator": "In", "values": ["a", "b"]},
			{"key": "legacy", "operator": "DoesNotExist"},
		],
	}}}
	_applies("system-namespaces", s, _namespace("x", {"team": "platform", "tier": "a"}))
	not _applies("system-namespaces", s, _namespace("x", {"team": "platform", "tier": "c"}))
	not _applies("system-namespaces", s, _namespace("x", {"team": "platform"}))
	not _applies("system-namespaces", s, _namespace("x", {"team": "apps", "tier": "a"}))
	not _applies("system-namespaces", s, _namespace("x", {"team": "platform", "tier": "a", "legacy": ""}))

	other := {"system-namespaces": {"namespaceSelector": {"matchExpressions": [
		{"key": "tier", "operator": "NotIn", "values": ["dev"]},
		{"key": "owner", "operator": "Exists"},
	]}}}
	_applies("system-namespaces", other, _namespace("x", {"owner": "me"}))
	_applies("system-namespaces", other, _namespace("x", {"owner": "me", "tier": "prod"}))
	not _applies("system-namespaces", other, _namespace("x", {"owner": "me", "tier": "dev"}))
	not _applies("system-namespaces", other, _namespace("x", {}))

	# A Namespace without labels, and an empty selector (it selects everything).
	no_labels := testdata.review("Namespace", "", "x", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}})
	not _applies("system-namespaces", other, no_labels)
	_applies("system-namespaces", {"system-namespaces": {"namespaceSelector": {}}}, no_labels)
}

# As Gatekeeper's matchAny: on UPDATE the policy applies when the old or the new object matches, so
# relabelling a Namespace out of the selector is itself still checked.
test_namespace_selector_old_or_new_object if {
	s := {"system-namespaces": {"namespaceSelector": {"matchLabels": {"guarded": "true"}}}}
	relabel := testdata.review_with("Namespace", "", "x", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x", "labels": {}}}, {
		"operation": "UPDATE",
		"oldObject": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x", "labels": {"guarded": "true"}}},
	})
	_applies("system-namespaces", s, relabel)
	unguarded := {"request": object.union(object.remove(relabel.request, ["oldObject"]), {"oldObject": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}})}
	not _applies("system-namespaces", s, unguarded)

	# DELETE: the old object is the one there is.
	delete := {"request": object.union(object.remove(relabel.request, ["object"]), {"operation": "DELETE"})}
	_applies("system-namespaces", s, delete)
}

# The request does not carry a namespaced object's Namespace: the selector cannot narrow the
# scope there (skipping the policy would relax it). Cluster-scoped objects match, as in Gatekeeper.
test_namespace_selector_not_seen_elsewhere if {
	s := {"limits": {"namespaceSelector": {"matchLabels": {"never": "there"}}}}
	_applies("limits.missing", s, _deployment("default", "web"))
	_applies("limits.missing", s, _cluster_role("x"))
	_applies("limits.missing", s, {})
}

test_family_and_id_entries_both_hold if {
	s := {
		"registries": {"excludedNamespaces": ["sandbox"]},
		"registries.digest": {"exceptions": [{"namespace": "team-a", "name": "web"}]},
	}
	not _applies("registries.digest", s, _deployment("sandbox", "api"))
	not _applies("registries.digest", s, _deployment("team-a", "web"))
	_applies("registries.digest", s, _deployment("team-a", "api"))
	_applies("registries", s, _deployment("team-a", "web"))
	not _applies("registries", s, _deployment("sandbox", "web"))
}

test_criteria_all_hold if {
	s := {"limits": {
		"namespaces": ["team-*"],
		"kinds": [{"apiGroups": ["apps"], "kinds": ["Deployment"]}],
		"exceptions": [{"namespace": "team-a", "name": "batch"}],
	}}
	_applies("limits.missing", s, _deployment("team-a", "web"))
	not _applies("limits.missing", s, _deployment("team-a", "batch"))
	not _applies("limits.missing", s, _deployment("other", "web"))
	not _applies("limits.missing", s, testdata.review("CronJob", "team-a", "web", {}))
}

# --- config_errors ---

_known := {"registries", "registries.digest", "limits", "limits.missing", "system-namespaces"}

_errors(s) := errs if {
	errs := scope.errors(_known) with data.config as testdata.config_with("scope", s)
}

test_valid_scope_has_no_errors if {
	_errors({}) == set()
	scope.errors(_known) == set()
	_errors({
		"registries": {
			"namespaces": ["team-*", "prod"],
			"excludedNamespaces": ["*"],
			"kinds": [{"apiGroups": ["", "apps"], "kinds": ["*"]}, {}],
			"namespaceSelector": {
				"matchLabels": {"a": ""},
				"matchExpressions": [
					{"key": "b", "operator": "In", "values": ["x", ""]},
					{"key": "c", "operator": "Exists"},
					{"key": "d", "operator": "DoesNotExist", "values": []},
				],
			},
			"exceptions": [{"namespace": "team-a", "name": "web"}, {"namespace": "", "name": "cluster-*"}],
		},
		"registries.digest": {},
	}) == set()
}

test_unknown_policy_and_entry_type if {
	_errors({"registry": {}, "limits": []}) == {
		`config.scope has unknown policy "registry" (known: limits, limits.missing, registries, registries.digest, system-namespaces)`,
		"config.scope.limits must be an object, got array",
	}
}

test_unknown_criterion_and_types if {
	_errors({"registries": {"namespace": ["a"], "namespaces": "a", "excludedNamespaces": {}, "kinds": "Pod", "exceptions": {}, "namespaceSelector": []}}) == {
		`config.scope.registries has unknown key "namespace" (known: exceptions, excludedNamespaces, kinds, namespaceSelector, namespaces)`,
		"config.scope.registries.namespaces must be an array, got string",
		"config.scope.registries.excludedNamespaces must be an array, got object",
		"config.scope.registries.kinds must be an array, got string",
		"config.scope.registries.exceptions must be an array, got object",
		"config.scope.registries.namespaceSelector must be an object, got array",
	}
}

test_namespace_pattern_errors if {
	_errors({"limits": {"namespaces": ["te*am", "*team", "Team-*", "-x*", "", 3], "excludedNamespaces": ["a**", "ok-*", "b_c"]}}) == {
		`config.scope.limits.namespaces[0] "te*am" has "*" in a wrong place: a pattern is a namespace name, or a prefix followed by one "*" at the end (e.g. team-*)`,
		`config.scope.limits.namespaces[1] "*team" has "*" in a wrong place: a pattern is a namespace name, or a prefix followed by one "*" at the end (e.g. team-*)`,
		`config.scope.limits.namespaces[2] "Team-*" is not a namespace name, or a prefix of one followed by "*" (lower-case letters, digits and "-", e.g. team-*)`,
		`config.scope.limits.namespaces[3] "-x*" is not a namespace name, or a prefix of one followed by "*" (lower-case letters, digits and "-", e.g. team-*)`,
		"config.scope.limits.namespaces[4] must be a non-empty string, got an empty string",
		"config.scope.limits.namespaces[5] must be a non-empty string, got number",
		`config.scope.limits.excludedNamespaces[0] "a**" has "*" in a wrong place: a pattern is a namespace name, or a prefix followed by one "*" at the end (e.g. team-*)`,
		`config.scope.limits.excludedNamespaces[2] "b_c" is not a namespace name, or a prefix of one followed by "*" (lower-case letters, digits and "-", e.g. team-*)`,
	}
}

test_kinds_errors if {
	_errors({"limits": {"kinds": [
		"Pod",
		{"kind": ["Pod"]},
		{"apiGroups": "apps", "kinds": [1, "", "Dep*", "*"]},
		{"apiGroups": ["", "*.k8s.io"]},
	]}}) == {
		"config.scope.limits.kinds[0] must be an object with apiGroups and kinds, got string",
		`config.scope.limits.kinds[1] has unknown key "kind" (known: apiGroups, kinds)`,
		"config.scope.limits.kinds[2].apiGroups must be an array of strings, got string",
		"config.scope.limits.kinds[2].kinds[0] must be a string, got number",
		`config.scope.limits.kinds[2].kinds[1] must not be empty (the core API group is "" in apiGroups)`,
		`config.scope.limits.kinds[2].kinds[2] "Dep*" has "*" in it: "*" stands alone (any), there are no partial wildcards`,
		`config.scope.limits.kinds[3].apiGroups[1] "*.k8s.io" has "*" in it: "*" stands alone (any), there are no partial wildcards`,
	}
}

test_selector_errors if {
	_errors({"limits": {"namespaceSelector": {"matchLabel": {}, "matchLabels": {"a": 1}, "matchExpressions": {}}}}) == {
		`config.scope.limits.namespaceSelector has unknown key "matchLabel" (known: matchExpressions, matchLabels)`,
		"config.scope.limits.namespaceSelector.matchLabels.a must be a string, got number",
		"config.scope.limits.namespaceSelector.matchExpressions must be an array, got object",
	}
	_errors({"limits": {"namespaceSelector": {"matchLabels": [], "matchExpressions": [
		"a",
		{"key": "a", "operator": "in", "values": ["x"]},
		{"key": "b", "operator": "In"},
		{"key": "c", "operator": "NotIn", "values": []},
		{"key": "d", "operator": "Exists", "values": ["x"]},
		{"operator": "In", "values": ["x", 1], "value": "y"},
		{"key": 1, "operator": 2, "values": "x"},
	]}}}) == {
		"config.scope.limits.namespaceSelector.matchLabels must be an object, got array",
		"config.scope.limits.namespaceSelector.matchExpressions[0] must be an object with key, operator and values, got string",
		`config.scope.limits.namespaceSelector.matchExpressions[1].operator "in" is not one of DoesNotExist, Exists, In, NotIn`,
		"config.scope.limits.namespaceSelector.matchExpressions[2].values must be a non-empty array of strings when operator is In",
		"config.scope.limits.namespaceSelector.matchExpressions[3].values must be a non-empty array of strings when operator is NotIn",
		"config.scope.limits.namespaceSelector.matchExpressions[4].values must be empty when operator is Exists",
		`config.scope.limits.namespaceSelector.matchExpressions[5] has unknown key "value" (known: key, operator, values)`,
		"config.scope.limits.namespaceSelector.matchExpressions[5].key is required",
		"config.scope.limits.namespaceSelector.matchExpressions[5].values[1] must be a string, got number",
		"config.scope.limits.namespaceSelector.matchExpressions[6].key must be a string, got number",
		"config.scope.limits.namespaceSelector.matchExpressions[6].operator must be a string, got number",
		"config.scope.limits.namespaceSelector.matchExpressions[6].values must be an array of strings, got string",
	}
}

test_exception_errors if {
	_errors({"registries": {"exceptions": [
		"web",
		{"name": "web"},
		{"namespace": 1, "name": "web"},
		{"namespace": "Team_A", "name": "web"},
		{"namespace": "a", "name": ""},
		{"namespace": "a", "name": "w*b*"},
		{"namespace": "a", "name": 5, "kind": "Pod"},
		{"namespace": "a"},
	]}}) == {
		"config.scope.registries.exceptions[0] must be an object with namespace and name, got string",
		`config.scope.registries.exceptions[1].namespace is required ("" for a cluster-scoped object)`,
		"config.scope.registries.exceptions[2].namespace must be a string, got number",
		`config.scope.registries.exceptions[3].namespace "Team_A" is not a namespace name ("" for a cluster-scoped object)`,
		"config.scope.registries.exceptions[4].name must not be empty",
		`config.scope.registries.exceptions[5].name "w*b*" has "*" in a wrong place: a name is exact or a prefix followed by one "*" at the end`,
		`config.scope.registries.exceptions[6] has unknown key "kind" (known: name, namespace)`,
		"config.scope.registries.exceptions[6].name must be a string, got number",
		"config.scope.registries.exceptions[7].name is required",
	}
}

# Malformed entries never make applies() fail or skip on their own (config_errors denies anyway).
test_malformed_entries_are_defined if {
	inp := _deployment("team-a", "web")
	_applies("registries", {"registries": "x"}, inp)
	_applies("registries", {"registries": {"namespaces": "team-a", "kinds": [1, {"kinds": "x"}], "exceptions": [1, {"namespace": "team-a", "name": 3}]}}, inp)
	_applies("system-namespaces", {"system-namespaces": {"namespaceSelector": {"matchLabels": "x", "matchExpressions": "y"}}}, _namespace("x", {}))
}
