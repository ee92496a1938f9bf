package wasmgate.policies.podsecurity.psp_fields_test

import data.wasmgate.lib.testdata
import data.wasmgate.main
import data.wasmgate.policies.podsecurity.psp as podsecurity

# A PSP that sets every field, usable by everyone authenticated.
_lab := {
	"apiVersion": "policy/v1beta1",
	"kind": "PodSecurityPolicy",
	"metadata": {"name": "lab", "annotations": {
		"seccomp.security.alpha.kubernetes.io/allowedProfileNames": "docker/default,localhost/ok.json",
		"seccomp.security.alpha.kubernetes.io/defaultProfileName": "runtime/default",
		"apparmor.security.beta.kubernetes.io/allowedProfileNames": "runtime/default,localhost/ok",
		"apparmor.security.beta.kubernetes.io/defaultProfileName": "runtime/default",
	}},
	"spec": {
		"privileged": false,
		"defaultAllowPrivilegeEscalation": false,
		"defaultAddCapabilities": ["CHOWN"],
		"requiredDropCapabilities": ["NET_RAW"],
		"allowedCapabilities": ["SYS_TIME"],
		"volumes": ["hostPath", "flexVolume", "csi", "secret"],
		"allowedHostPaths": [{"pathPrefix": "/var/log", "readOnly": true}, {"pathPrefix": "/data/"}],
		"allowedFlexVolumes": [{"driver": "ok/flex"}],
		"allowedCSIDrivers": [{"name": "ok.csi.example"}],
		"hostNetwork": true,
		"hostPorts": [{"min": 8000, "max": 8080}, {"min": 9000, "max": 9000}],
		"runAsUser": {"rule": "MustRunAs", "ranges": [{"min": 1000, "max": 2000}]},
		"runAsGroup": {"rule": "MustRunAs", "ranges": [{"min": 3000, "max": 3000}]},
		"supplementalGroups": {"rule": "MayRunAs", "ranges": [{"min": 5, "max": 10}]},
		"fsGroup": {"rule": "MayRunAs", "ranges": [{"min": 5, "max": 10}]},
		"seLinux": {"rule": "MustRunAs", "seLinuxOptions": {"level": "s0:c1,c2", "type": "spc_t", "user": ""}},
		"allowedUnsafeSysctls": ["net.core.*"],
		"forbiddenSysctls": ["kernel.shm_rmid_forced", "net.ipv4.ping_group_range"],
		"allowedProcMountTypes": ["Default", "Unmasked"],
		"runtimeClass": {"allowedRuntimeClassNames": ["gvisor"], "defaultRuntimeClassName": "gvisor"},
	},
}

_everyone := [
	{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "psp:all"}, "rules": [{"apiGroups": ["extensions"], "resources": ["*"], "verbs": ["*"]}]},
	{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "psp:all"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "psp:all"}, "subjects": [{"kind": "Group", "name": "system:authenticated", "apiGroup": "rbac.authorization.k8s.io"}]},
]

_with(policies) := testdata.config_with("podSecurity", {"policies": policies, "rbac": _everyone})

_cfg := _with([_lab])

_pod(spec) := testdata.review("Pod", "app-a", "web", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}, "spec": spec})

_pod_with_annotations(annotations, spec) := testdata.review("Pod", "app-a", "web", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "annotations": annotations}, "spec": spec})

_c(name, sc) := {"name": name, "image": "quay.io/cybozu/ubuntu:22.04", "securityContext": sc}

_found(vs) := {[v.policy, v.path] | some v in vs}

test_lab_is_valid if {
	main.config_errors == set() with data.config as _cfg
	podsecurity.skipped == {} with data.config as _cfg
}

test_every_default if {
	m := main.mutation with input as _pod({"containers": [{"name": "web", "image": "x"}]}) with data.config as _cfg
	m.profile == "lab"
	m.patch == [
		{"op": "add", "path": "/metadata/annotations", "value": {
			"container.apparmor.security.beta.kubernetes.io/web": "runtime/default",
			"kubernetes.io/psp": "lab",
			"seccomp.security.alpha.kubernetes.io/pod": "runtime/default",
		}},
		{"op": "add", "path": "/spec/containers/0/securityContext", "value": {
			"allowPrivilegeEscalation": false,
			"capabilities": {"add": ["CHOWN"], "drop": ["NET_RAW"]},
			"runAsGroup": 3000,
			"runAsUser": 1000,
		}},
		{"op": "add", "path": "/spec/runtimeClassName", "value": "gvisor"},
		{"op": "add", "path": "/spec/securityContext", "value": {"seLinuxOptions": {"level": "s0:c1,c2", "type": "spc_t"}}},
	]
}

test_defaults_keep_what_is_set if {
	spec := {
		"securityContext": {"runAsUser": 1500, "seLinuxOptions": {"level": "s0:c2,c1", "type": "spc_t"}},
		"runtimeClassName": "gvisor",
		"containers": [_c("web", {"runAsGroup": 3000, "allowPrivilegeEscalation": true, "capabilities": {"add": ["SYS_TIME"], "drop": ["CHOWN", "NET_RAW"]}})],
	}
	annotations := {
		"seccomp.security.alpha.kubernetes.io/pod": "docker/default",
		"container.apparmor.security.beta.kubernetes.io/web": "localhost/ok",
	}
	inp := _pod_with_annotations(annotations, spec)
	m := main.mutation with input as inp with data.config as _cfg
	m.patch == [{"op": "add", "path": "/metadata/annotations/kubernetes.io~1psp", "value": "lab"}]
	podsecurity.admitted with input as inp with data.config as _cfg
}

test_every_container_error if {
	spec := {
		"securityContext": {"seLinuxOptions": {"level": "s0:c1,c2", "type": "spc_t"}, "runAsGroup": 3000},
		"runtimeClassName": "gvisor",
		"containers": [
			_c("low", {"runAsUser": 5, "runAsGroup": 4, "privileged": true, "procMount": "Weird", "seLinuxOptions": {"level": "s1", "role": "r", "user": "u", "type": "t"}, "capabilities": {"add": ["SYS_ADMIN"], "drop": []}}),
			object.union(_c("ports", {"runAsUser": 1000, "capabilities": {"add": ["CHOWN"], "drop": ["NET_RAW"]}, "allowPrivilegeEscalation": false}), {"ports": [{"containerPort": 80, "hostPort": 8081}, {"containerPort": 90, "hostPort": 9000}, {"containerPort": 91, "hostPort": 0}]}),
		],
	}
	annotations := {
		"seccomp.security.alpha.kubernetes.io/pod": "runtime/default",
		"container.seccomp.security.alpha.kubernetes.io/ports": "unconfined",
		"container.apparmor.security.beta.kubernetes.io/low": "runtime/default",
		"container.apparmor.security.beta.kubernetes.io/ports": "unconfined",
	}
	vs := podsecurity.violations with input as _pod_with_annotations(annotations, spec) with data.config as _cfg
	_found(vs) == {
		["pod-security.run-as-user", "spec.containers[0].securityContext.runAsUser"],
		["pod-security.run-as-group", "spec.containers[0].securityContext.runAsGroup"],
		["pod-security.privileged", "spec.containers[0].securityContext.privileged"],
		["pod-security.proc-mount", "spec.containers[0].securityContext.procMount"],
		["pod-security.selinux", "spec.containers[0].securityContext.seLinuxOptions.level"],
		["pod-security.selinux", "spec.containers[0].securityContext.seLinuxOptions.role"],
		["pod-security.selinux", "spec.containers[0].securityContext.seLinuxOptions.type"],
		["pod-security.selinux", "spec.containers[0].securityContext.seLinuxOptions.user"],
		["pod-security.capabilities", "spec.containers[0].securityContext.capabilities.add[0]"],
		["pod-security.capabilities", "spec.containers[0].securityContext.capabilities.drop"],
		["pod-security.privilege-escalation", "spec.containers[0].securityContext.allowPrivilegeEscalation"],
		["pod-security.host-ports", "spec.containers[1].ports[0].hostPort"],
		["pod-security.seccomp", "metadata.annotations[container.seccomp.security.alpha.kubernetes.io/ports]"],
		["pod-security.apparmor", "metadata.annotations[container.apparmor.security.beta.kubernetes.io/ports]"],
	}
	some v in vs
	v.message == `Pod app-a/web: container "low" runs as user 5, outside the allowed ranges 1000-2000 (PodSecurityPolicy "lab"); set runAsUser within those ranges`
	some w in vs
	w.message == `Pod app-a/web: container "ports" uses hostPort 8081, which is not allowed (allowed: 8000-8080, 9000) (PodSecurityPolicy "lab"); remove the hostPort and use a Service`
}

test_every_pod_error if {
	spec := {
		"hostNetwork": true,
		"hostPID": true,
		"hostIPC": true,
		"runtimeClassName": "runc",
		"securityContext": {
			"fsGroup": 11,
			"supplementalGroups": [5, 4],
			"sysctls": [{"name": "kernel.shm_rmid_forced", "value": "1"}, {"name": "net.ipv4.ping_group_range", "value": "1"}, {"name": "net.core.somaxconn", "value": "1"}, {"name": "net.ipv4.tcp_syncookies", "value": "1"}, {"name": "kernel.msgmax", "value": "1"}],
		},
		"containers": [],
	}
	vs := podsecurity.violations with input as _pod_with_annotations({"seccomp.security.alpha.kubernetes.io/pod": "unconfined"}, spec) with data.config as _cfg
	_found(vs) == {
		["pod-security.host-namespaces", "spec.hostPID"],
		["pod-security.host-namespaces", "spec.hostIPC"],
		["pod-security.fs-group", "spec.securityContext.fsGroup"],
		["pod-security.supplemental-groups", "spec.securityContext.supplementalGroups[1]"],
		["pod-security.sysctls", "spec.securityContext.sysctls[0]"],
		["pod-security.sysctls", "spec.securityContext.sysctls[1]"],
		["pod-security.sysctls", "spec.securityContext.sysctls[4]"],
		["pod-security.runtime-class", "spec.runtimeClassName"],
		["pod-security.seccomp", "metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]"],
		["pod-security.selinux", "spec.securityContext.seLinuxOptions"],
	}
	some v in vs
	v.message == `Pod app-a/web: the pod sets the unsafe sysctl "kernel.msgmax", which is not in allowedUnsafeSysctls (net.core.*) (PodSecurityPolicy "lab"); remove it`
}

test_volumes if {
	spec := {
		"securityContext": {"seLinuxOptions": {"level": "s0:c1,c2", "type": "spc_t"}},
		"runtimeClassName": "gvisor",
		"volumes": [
			{"name": "logs", "hostPath": {"path": "/var/log/app"}},
			{"name": "data", "hostPath": {"path": "/data/x"}},
			{"name": "etc", "hostPath": {"path": "/etc"}},
			{"name": "varlogger", "hostPath": {"path": "/var/logger"}},
			{"name": "flex", "flexVolume": {"driver": "bad/flex"}},
			{"name": "flex-ok", "flexVolume": {"driver": "ok/flex"}},
			{"name": "csi", "csi": {"driver": "bad.csi"}},
			{"name": "csi-ok", "csi": {"driver": "ok.csi.example"}},
			{"name": "cm", "configMap": {"name": "x"}},
			{"name": "token", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}, {"configMap": {"name": "kube-root-ca.crt"}}, {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}},
			{"name": "audience", "projected": {"sources": [{"serviceAccountToken": {"path": "token", "audience": "vault"}}]}},
			{"name": "other", "projected": {"sources": [{"secret": {"name": "s"}}]}},
			{"name": "labels", "projected": {"sources": [{"downwardAPI": {"items": [{"path": "labels", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.labels"}}]}}]}},
			{"name": "cm2", "projected": {"sources": [{"configMap": {"name": "other"}}]}},
			{"name": "unknown", "image": {"reference": "x"}},
		],
		"containers": [object.union(_c("web", {"runAsUser": 1000, "runAsGroup": 3000, "allowPrivilegeEscalation": false, "capabilities": {"add": ["CHOWN"], "drop": ["NET_RAW"]}}), {"volumeMounts": [{"name": "logs", "mountPath": "/l"}, {"name": "logs", "mountPath": "/l2", "readOnly": true}, {"name": "data", "mountPath": "/d"}]})],
	}
	annotations := {"seccomp.security.alpha.kubernetes.io/pod": "runtime/default", "container.apparmor.security.beta.kubernetes.io/web": "runtime/default"}
	vs := podsecurity.violations with input as _pod_with_annotations(annotations, spec) with data.config as _cfg
	_found(vs) == {
		["pod-security.volumes", "spec.containers[0].volumeMounts[0].readOnly"],
		["pod-security.volumes", "spec.volumes[2].hostPath.path"],
		["pod-security.volumes", "spec.volumes[3].hostPath.path"],
		["pod-security.volumes", "spec.volumes[4].flexVolume.driver"],
		["pod-security.volumes", "spec.volumes[6].csi.driver"],
		["pod-security.volumes", "spec.volumes[8]"],
		["pod-security.volumes", "spec.volumes[10]"],
		["pod-security.volumes", "spec.volumes[11]"],
		["pod-security.volumes", "spec.volumes[12]"],
		["pod-security.volumes", "spec.volumes[13]"],
		["pod-security.volumes", "spec.volumes[14]"],
	}
	some v in vs
	v.message == `Pod app-a/web: volume "etc" mounts the host path "/etc", which is not allowed (allowed: /var/log, /data/) (PodSecurityPolicy "lab"); use a host path under an allowed prefix`
}

test_any_volume_and_all_capabilities if {
	open := object.union(_lab, {"metadata": {"name": "open"}, "spec": {"volumes": ["*"], "allowedCapabilities": ["*"], "requiredDropCapabilities": [], "defaultAddCapabilities": [], "allowedHostPaths": []}})
	spec := {"volumes": [{"name": "h", "hostPath": {"path": "/"}}, {"name": "n", "nfs": {"server": "x", "path": "/"}}], "containers": [_c("web", {"capabilities": {"add": ["SYS_ADMIN"]}})]}
	vs := podsecurity.violations with input as _pod(spec) with data.config as _with([open])
	{v.policy | some v in vs} & {"pod-security.volumes", "pod-security.capabilities"} == set()
}

test_seccomp_and_apparmor_profiles if {
	spec := {"securityContext": {"seLinuxOptions": {"level": "s0:c1,c2", "type": "spc_t"}, "seccompProfile": {"type": "Localhost", "localhostProfile": "ok.json"}}, "containers": [
		_c("a", {"seccompProfile": {"type": "Unconfined"}}),
		_c("b", {}),
		_c("c", {"seccompProfile": {"type": "Localhost"}}),
	]}
	vs := podsecurity.violations with input as _pod(spec) with data.config as _cfg
	seccomp := {[v.path, v.message] | some v in vs; v.policy == "pod-security.seccomp"}
	seccomp == {
		["spec.containers[0].securityContext.seccompProfile", `Pod app-a/web: container "a" uses the seccomp profile "unconfined", which is not allowed (allowed: docker/default,localhost/ok.json) (PodSecurityPolicy "lab"); use an allowed seccomp profile`],
		["spec.containers[2].securityContext.seccompProfile", `Pod app-a/web: container "c" uses the seccomp profile "", which is not allowed (allowed: docker/default,localhost/ok.json) (PodSecurityPolicy "lab"); use an allowed seccomp profile`],
	}
	apparmor := {v.message | some v in vs; v.policy == "pod-security.apparmor"}
	`Pod app-a/web: container "b" has no AppArmor profile (PodSecurityPolicy "lab"); set the annotation container.apparmor.security.beta.kubernetes.io/b to one of runtime/default,localhost/ok` in apparmor
}

test_no_seccomp_allowed if {
	plain := object.union(_lab, {"metadata": {"name": "plain", "annotations": {"seccomp.security.alpha.kubernetes.io/allowedProfileNames": ""}}})
	spec := {"containers": [_c("web", {"seccompProfile": {"type": "RuntimeDefault"}})]}
	vs := podsecurity.violations with input as _pod(spec) with data.config as _with([plain])
	some v in vs
	v.message == `Pod app-a/web: container "web" uses the seccomp profile "runtime/default", which is not allowed (allowed: ) (PodSecurityPolicy "plain"); use an allowed seccomp profile`
}

test_must_run_as_non_root_and_runtime_class_star if {
	p := object.union(_lab, {"metadata": {"name": "nonroot"}, "spec": {
		"runAsUser": {"rule": "MustRunAsNonRoot"},
		"runAsGroup": {"rule": "MayRunAs", "ranges": [{"min": 1, "max": 5}]},
		"runtimeClass": {"allowedRuntimeClassNames": ["*"]},
	}})
	spec := {"runtimeClassName": "anything", "securityContext": {"seLinuxOptions": {"level": "s0:c1,c2", "type": "spc_t"}}, "containers": [
		_c("a", {"runAsNonRoot": false, "runAsGroup": 9}),
		_c("b", {"runAsUser": 0, "runAsGroup": 2}),
	]}
	vs := podsecurity.violations with input as _pod(spec) with data.config as _with([p])
	{[v.policy, v.path] | some v in vs; v.policy in {"pod-security.run-as-non-root", "pod-security.run-as-group", "pod-security.runtime-class"}} == {
		["pod-security.run-as-non-root", "spec.containers[0].securityContext.runAsNonRoot"],
		["pod-security.run-as-non-root", "spec.containers[1].securityContext.runAsUser"],
		["pod-security.run-as-group", "spec.containers[0].securityContext.runAsGroup"],
	}
}

test_must_run_as_needs_values if {
	p := object.union(_lab, {"metadata": {"name": "must"}, "spec": {"fsGroup": {"rule": "MustRunAs", "ranges": [{"min": 7, "max": 7}]}, "supplementalGroups": {"rule": "MustRunAs", "ranges": [{"min": 7, "max": 8}]}}})
	spec := {"securityContext": {"fsGroup": null, "supplementalGroups": []}, "containers": []}
	vs := podsecurity.violations with input as _pod(spec) with data.config as _with([p])
	{v.message | some v in vs; v.policy in {"pod-security.fs-group", "pod-security.supplemental-groups"}} == {
		`Pod app-a/web: the pod does not set securityContext.fsGroup (PodSecurityPolicy "must"); set it within 7`,
		`Pod app-a/web: the pod does not set securityContext.supplementalGroups (PodSecurityPolicy "must"); set it within 7-8`,
	}
	admitted := {"securityContext": {"fsGroup": null, "supplementalGroups": [7]}, "containers": []}
	m := main.mutation with input as _pod(admitted) with data.config as _with([p])
	m.profile == "must"
	{o.path | some o in m.patch} == {"/metadata/annotations", "/spec/runtimeClassName", "/spec/securityContext/fsGroup", "/spec/securityContext/seLinuxOptions"}
	some op in m.patch
	op == {"op": "replace", "path": "/spec/securityContext/fsGroup", "value": 7}
}

test_container_errors_without_context if {
	spec := {"securityContext": {"seLinuxOptions": {"level": "s0:c1,c2", "type": "spc_t"}}, "containers": [{"name": "web", "image": "x", "securityContext": null}]}
	vs := podsecurity.violations with input as _pod(spec) with data.config as _cfg
	{v.path | some v in vs; v.policy in {"pod-security.capabilities", "pod-security.run-as-user", "pod-security.run-as-group"}} == {
		"spec.containers[0].securityContext.capabilities",
		"spec.containers[0].securityContext.runAsUser",
		"spec.containers[0].securityContext.runAsGroup",
	}
	m := main.mutation with input as _pod(spec) with data.config as _cfg
	some op in m.patch
	op.op == "replace"
	op.path == "/spec/containers/0/securityContext"
}

test_default_add_capability_message if {
	p := object.union(_lab, {"metadata": {"name": "adds"}, "spec": {"requiredDropCapabilities": []}})
	vs := podsecurity.violations with input as _pod({"containers": [_c("web", {})]}) with data.config as _with([p])
	some v in vs
	v.message == `Pod app-a/web: container "web" does not set securityContext.capabilities (PodSecurityPolicy "adds"); set securityContext.capabilities.add to include CHOWN`
}

test_skipped_psp if {
	broken := object.union(_lab, {"metadata": {"name": "broken"}, "spec": {"runAsUser": {"rule": "MustRunAs", "ranges": []}, "seLinux": {"rule": "MustRunAs", "seLinuxOptions": null}}})
	cfg := _with([broken])
	podsecurity.skipped == {"broken": "spec.runAsUser.rule MustRunAs needs at least one range; spec.seLinux.rule MustRunAs needs seLinuxOptions"} with data.config as cfg
	main.config_errors == set() with data.config as cfg
	vs := podsecurity.violations with input as _pod({"containers": []}) with data.config as cfg
	{v.message | some v in vs} == {
		`Pod app-a/web: PodSecurityPolicy "broken" is usable but skipped: spec.runAsUser.rule MustRunAs needs at least one range; spec.seLinux.rule MustRunAs needs seLinuxOptions; fix it in config.podSecurity.policies`,
		`Pod app-a/web: no PodSecurityPolicy can be used by user "alice" (the pod names no service account) (PodSecurityPolicies: broken); grant it use of one (verb use on podsecuritypolicies) with a Role or ClusterRole and a binding in config.podSecurity.rbac`,
	}
}

test_unknown_rules_are_skipped if {
	bad := object.union(_lab, {"metadata": {"name": "bad"}, "spec": {"fsGroup": {"rule": "Sometimes"}, "seLinux": {"rule": "Never"}}})
	podsecurity.skipped.bad == `spec.fsGroup.rule "Sometimes" is not a known rule; spec.seLinux.rule "Never" is not a known rule` with data.config as _with([bad])
}

# A PSP without capability rules still checks the rest of the container (a regression:
# the container's errors were lost when its capabilities needed no check).
test_container_checked_without_capability_rules if {
	p := {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "metadata": {"name": "m-mid"}, "spec": {
		"allowPrivilegeEscalation": false,
		"volumes": ["*"],
		"runAsUser": {"rule": "MustRunAsNonRoot"},
		"supplementalGroups": {"rule": "RunAsAny"},
		"fsGroup": {"rule": "RunAsAny"},
		"seLinux": {"rule": "RunAsAny"},
	}}
	spec := {"containers": [_c("c0", {"allowPrivilegeEscalation": true, "runAsNonRoot": false})]}
	vs := podsecurity.violations with input as testdata.deployment("app-a", spec) with data.config as _with([p])
	_found(vs) == {
		["pod-security.privilege-escalation", "spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation"],
		["pod-security.run-as-non-root", "spec.template.spec.containers[0].securityContext.runAsNonRoot"],
	}
}

# A volume's type is its first source in util.GetVolumeFSType's order, whatever the order of its keys.
test_volume_type if {
	podsecurity.volume_type({"name": "a", "configMap": {"name": "x"}}) == "configMap"
	podsecurity.volume_type({"name": "a", "secret": {}, "hostPath": {"path": "/x"}}) == "hostPath"
	podsecurity.volume_type({"configMap": {}, "emptyDir": {}, "name": "a", "csi": {}}) == "emptyDir"
	podsecurity.volume_type({"name": "a", "image": {"reference": "x"}, "ephemeral": {}}) == "ephemeral"
	podsecurity.volume_type({"name": "a", "image": {"reference": "x"}}) == ""
	podsecurity.volume_type({"name": "a", "secret": "not an object"}) == ""
	podsecurity.volume_type("not a volume") == ""
}
