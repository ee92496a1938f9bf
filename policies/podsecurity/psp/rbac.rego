# Who may use which PodSecurityPolicy: config.podSecurity.rbac evaluated as
# Kubernetes' RBAC authorizer answers the PSP plugin's question "may this
# user `use` podsecuritypolicies/<name> (group policy or extensions) in the
# pod's namespace?" (pkg/registry/rbac/validation/rule.go).
package wasmgate.policies.podsecurity.psp

_rbac_objects := os if {
	os := _settings.rbac
	is_array(os)
} else := []

_rbac_of_kind(kind) := [o | some o in _rbac_objects; is_object(o); o.kind == kind]

# Role keys: "ClusterRole/<name>" and "Role/<namespace>/<name>".
_role_key(kind, ns, name) := concat("/", [kind, name]) if kind == "ClusterRole"

else := concat("/", [kind, ns, name])

_role_rules[key] := _arr(role, "rules") if {
	some kind in ["ClusterRole", "Role"]
	some role in _rbac_of_kind(kind)
	key := _role_key(kind, object.get(_obj(role, "metadata"), "namespace", ""), role.metadata.name)
}

# A rule granting `use` of PSPs: {"all": bool, "names": set}.
_rule_grant(rule) := {"all": count(names) == 0, "names": names} if {
	is_object(rule)
	_any_in(_strings(rule, "verbs"), {"use", "*"})
	_any_in(_strings(rule, "apiGroups"), {"policy", "extensions", "*"})
	_any_in(_strings(rule, "resources"), {"podsecuritypolicies", "*"})
	names := _strings(rule, "resourceNames")
}

_any_in(xs, wanted) if {
	some x in xs
	x in wanted
}

# Every binding that grants some PSP: {"ns" ("" for a ClusterRoleBinding), "subjects", "all", "names"}.
_grants contains grant if {
	some kind in ["ClusterRoleBinding", "RoleBinding"]
	some binding in _rbac_of_kind(kind)
	ns := _binding_namespace(kind, binding)
	ref := _obj(binding, "roleRef")
	_ref_allowed(kind, ref.kind)
	grants := [g | some rule in _role_rules[_role_key(ref.kind, ns, ref.name)]; g := _rule_grant(rule)]
	count(grants) > 0
	grant := {
		"ns": ns,
		"subjects": [s | some s in _arr(binding, "subjects"); is_object(s)],
		"all": _some_all(grants),
		"names": {n | some g in grants; some n in g.names},
	}
}

_binding_namespace("ClusterRoleBinding", _) := ""

_binding_namespace("RoleBinding", binding) := object.get(_obj(binding, "metadata"), "namespace", "")

# A ClusterRoleBinding can only refer to a ClusterRole.
_ref_allowed("ClusterRoleBinding", "ClusterRole")

_ref_allowed("RoleBinding", kind) if kind in {"ClusterRole", "Role"}

_some_all(grants) if {
	some g in grants
	g.all
} else := false

# usable(infos, ns): the PSP names any of infos ({username, groups}) may use in namespace ns.
usable(infos, ns) := _granted(infos, ns) | _privileged(infos)

# kube-apiserver's first authorizer admits the group system:masters to everything, before RBAC is asked.
_privileged(infos) := {name |
	some info in infos
	info.groups["system:masters"]
	some name, _ in _first_index
}

_granted(infos, ns) := {name |
	some info in infos
	some by_namespace in _usable_by_subject_of(info)
	some scope in ["", ns]
	some name in by_namespace[scope]
}

# What a user's name and groups may use, each looked up in _usable_by_subject.
_usable_by_subject_of(info) := array.concat(
	[u | u := _usable_by_subject.user[info.username]],
	[g | some group in info.groups; g := _usable_by_subject.group[group]],
)

# What a subject of a binding stands for: ["user", name] (a User, or a ServiceAccount as the
# username it authenticates with, its namespace defaulting to the binding's) or ["group", name].
_subject_identity(s, _) := ["user", s.name] if {
	s.kind == "User"
	is_string(s.name)
}

_subject_identity(s, _) := ["group", s.name] if {
	s.kind == "Group"
	is_string(s.name)
}

_subject_identity(s, binding_ns) := ["user", concat(":", ["system:serviceaccount", sa_ns, s.name])] if {
	s.kind == "ServiceAccount"
	is_string(s.name)
	sa_ns := _subject_namespace(s, binding_ns)
	sa_ns != ""
}

_subject_namespace(s, binding_ns) := s.namespace if {
	is_string(s.namespace)
	s.namespace != ""
} else := binding_ns

# The PSP names the bindings grant, by the kind ("user" or "group") and name of their subjects, then
# by namespace ("" for a ClusterRoleBinding): a request looks up its user's and groups' names instead
# of matching every subject of every binding against it and every PSP against every grant (prepared
# once per data load, like psps).
_usable_by_subject := x if {
	x := data.prepared.policies.podsecurity.psp.usable_by_subject
} else := {kind: {name: {ns: {e[3] | some e in _subject_grants; e[0] == kind; e[1] == name; e[2] == ns} |
	some e in _subject_grants
	e[0] == kind
	e[1] == name
	ns := e[2]
} |
	some e in _subject_grants
	e[0] == kind
	name := e[1]
} |
	some kind in ["user", "group"]
}

# [kind, name, namespace, PSP name]: what each subject of a binding is granted.
_subject_grants := {[kind, name, g.ns, psp] |
	some g in _grants
	some [kind, name] in _grant_identities(g)
	some psp, _ in _first_index
	_grants_name(g, psp)
}

_grant_identities(g) := {i | some s in g.subjects; i := _subject_identity(s, g.ns)}

_grants_name(g, _) if g.all

_grants_name(g, name) if name in g.names

# The identity of a service account as the API server authenticates it.
service_account_info(ns, sa) := {
	"username": concat(":", ["system:serviceaccount", ns, sa]),
	"groups": {"system:serviceaccounts", concat(":", ["system:serviceaccounts", ns])},
}
