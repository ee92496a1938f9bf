package wasmgate.policies.podsecurity.psp_test

import data.wasmgate.lib.testdata
import data.wasmgate.main
import data.wasmgate.policies.podsecurity.psp as podsecurity

# A Pod CREATE in ns whose spec is the given one (no securityContext anywhere).
_pod_review(ns, spec) := testdata.review_with("Pod", ns, "web", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": ns}, "spec": spec}, {})

_bare_container(name) := object.remove(testdata.container(name), ["securityContext"])

_bare_spec(sa) := {"serviceAccountName": sa, "containers": [_bare_container("web")]}

_restricted_sc := {
	"allowPrivilegeEscalation": false,
	"capabilities": {"drop": ["ALL"]},
	"readOnlyRootFilesystem": true,
	"runAsNonRoot": true,
}

_ids(vs) := {v.policy | some v in vs}

# The issue's facts about the article's PSPs.

test_bare_pod_defaulted_by_restricted if {
	spec := {
		"serviceAccountName": "web",
		"initContainers": [_bare_container("init")],
		"containers": [_bare_container("web")],
		"ephemeralContainers": [{"name": "debug", "image": "quay.io/cybozu/ubuntu:22.04"}],
	}
	m := main.mutation with input as _pod_review("app-a", spec)
	m.profile == "restricted"
	m.patch == [
		{"op": "add", "path": "/metadata/annotations", "value": {"kubernetes.io/psp": "restricted"}},
		{"op": "add", "path": "/spec/containers/0/securityContext", "value": _restricted_sc},
		{"op": "add", "path": "/spec/ephemeralContainers/0/securityContext", "value": _restricted_sc},
		{"op": "add", "path": "/spec/initContainers/0/securityContext", "value": _restricted_sc},
		{"op": "add", "path": "/spec/securityContext", "value": {"fsGroup": 1, "supplementalGroups": [1]}},
	]
}

_defaulted_pod_spec := {
	"serviceAccountName": "web",
	"securityContext": {"fsGroup": 1, "supplementalGroups": [1]},
	"containers": [object.union(_bare_container("web"), {"securityContext": _restricted_sc})],
}

test_defaulted_pod_is_admitted_unchanged if {
	inp := _pod_review("app-a", _defaulted_pod_spec)
	main.mutation == {"patch": [{"op": "add", "path": "/metadata/annotations", "value": {"kubernetes.io/psp": "restricted"}}], "profile": "restricted"} with input as inp
	podsecurity.admitted with input as inp
	count(podsecurity.violations) == 0 with input as inp
}

test_bare_pod_is_denied_by_the_validating_phase if {
	vs := podsecurity.violations with input as _pod_review("app-a", _bare_spec("web"))
	_ids(vs) == {
		"pod-security.capabilities", "pod-security.fs-group", "pod-security.supplemental-groups",
		"pod-security.privilege-escalation", "pod-security.read-only-root-filesystem", "pod-security.run-as-non-root",
	}
	some v in vs
	v.message == `Pod app-a/web: container "web" does not set securityContext.allowPrivilegeEscalation (PodSecurityPolicy "restricted"); set securityContext.allowPrivilegeEscalation: false`
	v.path == "spec.containers[0].securityContext.allowPrivilegeEscalation"
}

test_unbound_bare_pod_goes_to_restricted if {
	m := main.mutation with input as _pod_review("internet-egress", _bare_spec("unbound"))
	m.profile == "restricted"
}

test_unbound_net_bind_service if {
	spec := {"serviceAccountName": "unbound", "containers": [object.union(_bare_container("dns"), {"securityContext": {"capabilities": {"add": ["NET_BIND_SERVICE"]}}})]}
	m := main.mutation with input as _pod_review("internet-egress", spec)
	m == {"profile": "unbound", "patch": [
		{"op": "add", "path": "/metadata/annotations", "value": {"kubernetes.io/psp": "unbound"}},
		{"op": "add", "path": "/spec/containers/0/securityContext/allowPrivilegeEscalation", "value": false},
		{"op": "add", "path": "/spec/containers/0/securityContext/readOnlyRootFilesystem", "value": true},
	]}
}

test_valid_under_unbound_goes_there_unchanged if {
	spec := {"serviceAccountName": "unbound", "containers": [object.union(_bare_container("dns"), {"securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true}})]}
	inp := _pod_review("internet-egress", spec)
	m := main.mutation with input as inp
	m.profile == "unbound"
	m.patch == [{"op": "add", "path": "/metadata/annotations", "value": {"kubernetes.io/psp": "unbound"}}]
	count(podsecurity.violations) == 0 with input as inp
}

test_capability_names_are_case_sensitive if {
	lower_drop := {"serviceAccountName": "web", "containers": [object.union(_bare_container("web"), {"securityContext": {"capabilities": {"drop": ["all"]}}})]}
	m := main.mutation with input as _pod_review("app-a", lower_drop)
	some op in m.patch
	op.path == "/spec/containers/0/securityContext/capabilities"
	op == {"op": "replace", "path": "/spec/containers/0/securityContext/capabilities", "value": {"drop": ["ALL", "all"]}}

	lower_add := {"serviceAccountName": "unbound", "containers": [object.union(_bare_container("dns"), {"securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "capabilities": {"add": ["net_bind_service"]}}})]}
	inp := _pod_review("internet-egress", lower_add)
	main.mutation == {"patch": [], "profile": null} with input as inp
	vs := podsecurity.violations with input as inp
	some v in vs
	v.message == `Pod internet-egress/web: container "dns" adds the capability net_bind_service, which is not allowed (allowed: NET_BIND_SERVICE) (PodSecurityPolicy "unbound"); remove it from securityContext.capabilities.add`
	v.path == "spec.containers[0].securityContext.capabilities.add[0]"
}

test_seccomp_refused_by_restricted if {
	# restricted allows no seccomp profile at all, for the pod nor for its container.
	spec := object.union(_defaulted_pod_spec, {"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}})
	vs := podsecurity.violations with input as _pod_review("app-a", spec)
	{[v.policy, v.path, v.message] | some v in vs} == {
		["pod-security.seccomp", "spec.securityContext.seccompProfile", `Pod app-a/web: the pod sets the seccomp profile "runtime/default", but seccomp profiles are not allowed (PodSecurityPolicy "restricted"); remove it, or use a PodSecurityPolicy with the annotation seccomp.security.alpha.kubernetes.io/allowedProfileNames`],
		["pod-security.seccomp", "spec.securityContext.seccompProfile", `Pod app-a/web: container "web" sets the seccomp profile "runtime/default", but seccomp profiles are not allowed (PodSecurityPolicy "restricted"); remove it, or use a PodSecurityPolicy with the annotation seccomp.security.alpha.kubernetes.io/allowedProfileNames`],
	}
}

# wasmgate's own namespace: the PSP wasmgate allows RuntimeDefault. The pod annotation the
# defaulting adds from the field is not required of the pod as sent (v1.24 copied it itself
# before validating admission; later versions do not).
test_seccomp_in_wasmgate_namespace if {
	spec := object.union(_defaulted_pod_spec, {"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}})
	inp := _pod_review("wasmgate-system", spec)
	podsecurity.admitted with input as inp
	count(podsecurity.violations) == 0 with input as inp
	m := main.mutation with input as inp
	m.profile == "wasmgate"
	m.patch == [{"op": "add", "path": "/metadata/annotations", "value": {"kubernetes.io/psp": "wasmgate", "seccomp.security.alpha.kubernetes.io/pod": "runtime/default"}}]
	main.mutation == {"patch": [], "profile": "restricted"} with input as testdata.review_with("Pod", "wasmgate-system", "web", {"metadata": {"name": "web", "annotations": {"kubernetes.io/psp": "restricted"}}, "spec": _defaulted_pod_spec}, {"operation": "UPDATE"})
}

# --- workloads: the template as the pod it creates, after defaulting ---

test_bare_deployment_is_admitted if {
	inp := testdata.deployment("app-a", _bare_spec("web"))
	podsecurity.admitted with input as inp
	count(podsecurity.violations) == 0 with input as inp
	main.mutation == {"patch": [], "profile": null} with input as inp
}

test_privileged_deployment_is_denied if {
	spec := {"containers": [object.union(_bare_container("web"), {"securityContext": {"privileged": true}})]}
	vs := podsecurity.violations with input as testdata.deployment("app-a", spec)
	vs == {{
		"policy": "pod-security.privileged",
		"path": "spec.template.spec.containers[0].securityContext.privileged",
		"message": `Deployment app-a/web: container "web" is privileged (PodSecurityPolicy "restricted"); set securityContext.privileged: false`,
	}}
}

test_cronjob_paths if {
	spec := {"containers": [object.union(_bare_container("job"), {"securityContext": {"runAsUser": 0}})]}
	inp := testdata.review("CronJob", "app-a", "nightly", {"spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}})
	vs := podsecurity.violations with input as inp
	[v.path | some v in vs] == ["spec.jobTemplate.spec.template.spec.containers[0].securityContext.runAsUser"]
}

# The template's pods are created by the controller: the requesting user's PSPs do not count.
test_template_uses_service_account_and_controller if {
	rbac := [
		{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "all"}, "rules": [{"apiGroups": ["policy"], "resources": ["podsecuritypolicies"], "verbs": ["use"]}]},
		{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "alice"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "all"}, "subjects": [{"kind": "User", "name": "alice"}]},
	]
	cfg := testdata.config_with("podSecurity", object.union(data.config.podSecurity, {"rbac": rbac}))
	spec := {"serviceAccountName": "web", "containers": [_bare_container("web")]}
	podsecurity.candidates == ["restricted", "unbound", "wasmgate"] with input as _pod_review("app-a", spec) with data.config as cfg
	podsecurity.candidates == [] with input as testdata.deployment("app-a", spec) with data.config as cfg
	vs := podsecurity.violations with input as testdata.deployment("app-a", spec) with data.config as cfg
	vs == {{
		"policy": "pod-security.policy",
		"message": `Deployment app-a/web: no PodSecurityPolicy can be used by service account app-a/web or system:serviceaccount:kube-system:replicaset-controller (PodSecurityPolicies: restricted, unbound, wasmgate); grant it use of one (verb use on podsecuritypolicies) with a Role or ClusterRole and a binding in config.podSecurity.rbac`,
	}}
	podsecurity.candidates == ["restricted", "unbound", "wasmgate"] with input as testdata.review("PodTemplate", "app-a", "t", {"template": {"spec": spec}}) with data.config as cfg
}

# --- updates and subresources ---

test_update_validates_as_is_and_names_the_hinted_psp if {
	obj := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "dns", "namespace": "internet-egress", "annotations": {"kubernetes.io/psp": "unbound"}}, "spec": object.union(_defaulted_pod_spec, {"serviceAccountName": "unbound"})}
	inp := testdata.review_with("Pod", "internet-egress", "dns", obj, {"operation": "UPDATE", "oldObject": obj})
	main.mutation == {"patch": [], "profile": "unbound"} with input as inp
	no_hint := json.remove(obj, ["metadata/annotations"])
	main.mutation == {"patch": [], "profile": "restricted"} with input as testdata.review_with("Pod", "internet-egress", "dns", no_hint, {"operation": "UPDATE"})
}

test_update_of_only_owner_references_is_skipped if {
	old := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "app-a"}, "spec": _bare_spec("web")}
	new := object.union(old, {"metadata": {"ownerReferences": [{"kind": "ReplicaSet", "name": "x"}]}})
	count(podsecurity.violations) == 0 with input as testdata.review_with("Pod", "app-a", "web", new, {"operation": "UPDATE", "oldObject": old})
	changed := object.union(new, {"metadata": {"labels": {"a": "b"}}})
	count(podsecurity.violations) > 0 with input as testdata.review_with("Pod", "app-a", "web", changed, {"operation": "UPDATE", "oldObject": old})
}

test_ephemeral_containers_subresource if {
	spec := object.union(_defaulted_pod_spec, {"ephemeralContainers": [{"name": "debug", "image": "quay.io/cybozu/ubuntu:22.04"}]})
	obj := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "app-a"}, "spec": spec}
	inp := testdata.review_with("Pod", "app-a", "web", obj, {"operation": "UPDATE", "subResource": "ephemeralcontainers"})
	vs := podsecurity.violations with input as inp
	{v.path | some v in vs} == {
		"spec.ephemeralContainers[0].securityContext.allowPrivilegeEscalation",
		"spec.ephemeralContainers[0].securityContext.capabilities",
		"spec.ephemeralContainers[0].securityContext.readOnlyRootFilesystem",
		"spec.ephemeralContainers[0].securityContext.runAsNonRoot",
	}
	main.mutation == {"patch": [], "profile": null} with input as inp
}

test_not_a_pod_request if {
	main.mutation == {"patch": [], "profile": null} with input as {}
	main.mutation == {"patch": [], "profile": null} with input as testdata.review("ConfigMap", "app-a", "c", {"data": {}})
	main.mutation == {"patch": [], "profile": null} with input as _pod_review("app-a", _bare_spec("web")) with data.config.registries as 1
}

test_pod_without_service_account_uses_the_user if {
	spec := {"containers": [_bare_container("web")]}
	podsecurity.candidates == ["restricted"] with input as _pod_review("app-a", spec)
	nobody := testdata.review_with("Pod", "app-a", "web", {"metadata": {"name": "web"}, "spec": spec}, {"userInfo": {"username": "bob", "groups": []}})
	podsecurity.candidates == [] with input as nobody
	vs := podsecurity.violations with input as nobody
	[v.message | some v in vs] == [`Pod app-a/web: no PodSecurityPolicy can be used by user "bob" (the pod names no service account) (PodSecurityPolicies: restricted, unbound, wasmgate); grant it use of one (verb use on podsecuritypolicies) with a Role or ClusterRole and a binding in config.podSecurity.rbac`]
	podsecurity.candidates == ["restricted"] with input as testdata.review_with("Pod", "app-a", "web", {"metadata": {"name": "web"}, "spec": {"serviceAccount": "x", "containers": []}}, {"userInfo": {"username": "bob", "groups": []}})
}

test_pod_without_metadata_gets_metadata if {
	inp := testdata.review_with("Pod", "app-a", "web", {"spec": _defaulted_pod_spec}, {})
	main.mutation == {"patch": [{"op": "add", "path": "/metadata", "value": {"annotations": {"kubernetes.io/psp": "restricted"}}}], "profile": "restricted"} with input as inp
}

# defaulting_changes tells from what the defaulting sets whether the validating phase sees a change:
# it agrees with comparing the views (the defaulted pod, less a seccomp annotation that only mirrors
# the field, != the pod as it is) on every pod here under every PSP here, both ways.
test_defaulting_changes_is_view_inequality if {
	psps := podsecurity.psps with data.config as testdata.config_with("podSecurity", {"policies": _change_psps, "rbac": []})
	count(psps) == count(_change_psps)
	outcomes := {[name, i, changes] |
		some name, p in psps
		some i, review in _change_reviews
		pod := podsecurity.pod with input as review
		a := podsecurity.as_is(pod)
		changes := _changes(pod, a, p)
		changes == _differ(_validated_view(podsecurity.defaulted(pod, p), a), a)
	}
	count(outcomes) == count(psps) * count(_change_reviews)
	{o[2] | some o in outcomes} == {true, false}
}

# The seccomp pod annotation dropped as Kubernetes v1.24's validating phase did, by its definition.
_validated_view(v, a) := _with(v, "ann", object.remove(v.ann, [podsecurity.seccomp_pod_key])) if {
	podsecurity._annotation(a.ann, podsecurity.seccomp_pod_key) == ""
	v.ann[podsecurity.seccomp_pod_key] == podsecurity._field_profile(a.sc)
} else := v

_changes(pod, a, p) if podsecurity.defaulting_changes(pod, a, p)

else := false

_differ(v, a) if v != a

else := false

_change_psp(name, annotations, spec) := {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "metadata": {"name": name, "annotations": annotations}, "spec": object.union({"volumes": ["*"], "runAsUser": {"rule": "RunAsAny"}, "seLinux": {"rule": "RunAsAny"}, "fsGroup": {"rule": "RunAsAny"}, "supplementalGroups": {"rule": "RunAsAny"}}, spec)}

_change_psps := [
	_change_psp("none", {}, {}),
	_change_psp("seccomp", {"seccomp.security.alpha.kubernetes.io/allowedProfileNames": "*", "seccomp.security.alpha.kubernetes.io/defaultProfileName": "runtime/default"}, {}),
	_change_psp("apparmor", {"apparmor.security.beta.kubernetes.io/allowedProfileNames": "runtime/default", "apparmor.security.beta.kubernetes.io/defaultProfileName": "runtime/default"}, {}),
	_change_psp("runtime-class", {}, {"runtimeClass": {"allowedRuntimeClassNames": ["gvisor"], "defaultRuntimeClassName": "gvisor"}}),
	_change_psp("capabilities", {}, {"defaultAddCapabilities": ["CHOWN"], "requiredDropCapabilities": ["NET_RAW"]}),
	_change_psp("pod-level", {}, {"fsGroup": {"rule": "MustRunAs", "ranges": [{"min": 5, "max": 10}]}, "supplementalGroups": {"rule": "MustRunAs", "ranges": [{"min": 5, "max": 10}]}, "seLinux": {"rule": "MustRunAs", "seLinuxOptions": {"type": "spc_t"}}}),
	_change_psp("container-level", {}, {"defaultAllowPrivilegeEscalation": false, "readOnlyRootFilesystem": true, "runAsUser": {"rule": "MustRunAs", "ranges": [{"min": 1000, "max": 2000}]}, "runAsGroup": {"rule": "MustRunAs", "ranges": [{"min": 3000, "max": 3000}]}}),
	_change_psp("non-root", {}, {"allowPrivilegeEscalation": false, "runAsUser": {"rule": "MustRunAsNonRoot"}}),
]

_change_review(annotations, spec) := testdata.review("Pod", "app-a", "web", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "annotations": annotations}, "spec": spec})

_change_container(sc) := {"name": "a", "image": "quay.io/cybozu/ubuntu:22.04", "securityContext": sc}

_everything_set := {
	"runtimeClassName": "gvisor",
	"securityContext": {"fsGroup": 5, "supplementalGroups": [5], "seLinuxOptions": {"type": "spc_t"}, "seccompProfile": {"type": "RuntimeDefault"}},
	"containers": [_change_container({
		"runAsUser": 1000, "runAsGroup": 3000, "runAsNonRoot": true, "readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false,
		"capabilities": {"add": ["CHOWN"], "drop": ["NET_RAW"]},
	})],
}

_seccomp_key := "seccomp.security.alpha.kubernetes.io/pod"

_change_reviews := [
	_change_review({}, {"containers": [_change_container({})]}),
	_change_review({"container.apparmor.security.beta.kubernetes.io/a": "runtime/default", _seccomp_key: "runtime/default"}, _everything_set),
	_change_review({"container.apparmor.security.beta.kubernetes.io/a": "runtime/default"}, _everything_set),
	_change_review({}, {"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}, "containers": [_change_container({})]}),
	_change_review({_seccomp_key: ""}, {"containers": [_change_container({})]}),
	_change_review({_seccomp_key: ""}, {"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}, "containers": [_change_container({})]}),
	_change_review({_seccomp_key: "runtime/default"}, {"containers": [_change_container({})]}),
	_change_review({_seccomp_key: "unconfined"}, {"securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}}, "containers": [_change_container({})]}),
	_change_review({}, {"securityContext": {"runAsUser": 1000, "runAsGroup": 3000}, "containers": [_change_container({"capabilities": {"add": ["CHOWN", "CHOWN"], "drop": ["NET_RAW"]}})]}),
]

# a with key k set to x (object.union would merge nested objects).
_with(a, k, x) := object.union(object.remove(a, [k]), {k: x})
