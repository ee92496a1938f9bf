package wasmgate.policies.podsecurity.psp_config_test

import data.wasmgate.lib.testdata
import data.wasmgate.policies.podsecurity.psp as podsecurity

_errors(section) := errs if {
	errs := podsecurity.config_errors with data.config as testdata.config_with("podSecurity", section)
}

_psp(name, spec) := {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "metadata": {"name": name}, "spec": spec}

_minimal := {"runAsUser": {"rule": "RunAsAny"}, "seLinux": {"rule": "RunAsAny"}, "supplementalGroups": {"rule": "RunAsAny"}, "fsGroup": {"rule": "RunAsAny"}}

_spec_errors(patch) := _errors({"policies": [_psp("p", object.union(_minimal, patch))]})

_label := `config.podSecurity.policies[0] (PodSecurityPolicy "p")`

test_shipped_data_is_valid if {
	podsecurity.config_errors == set()
	{n | some n, _ in podsecurity.psps} == {"restricted", "unbound", "wasmgate"}
	podsecurity.psps.restricted.ape == false
	podsecurity.psps.unbound.required_drop == set()
}

test_section_shape if {
	_errors({}) == {"config.podSecurity.policies is required"}
	_errors({"policies": {}, "rbac": "x", "profiles": {}}) == {
		"config.podSecurity.policies must be an array, got object",
		"config.podSecurity.rbac must be an array, got string",
		`config.podSecurity has unknown key "profiles" (known: policies, rbac)`,
	}
	_errors({"policies": []}) == set()
}

test_psp_object_shape if {
	_errors({"policies": [1, {"metadata": {"name": "Bad_Name"}}, _psp("dup", _minimal), _psp("dup", _minimal)]}) == {
		"config.podSecurity.policies[0] must be a PodSecurityPolicy object, got number",
		`config.podSecurity.policies[1] (PodSecurityPolicy "Bad_Name"): apiVersion must be policy/v1beta1, got null`,
		`config.podSecurity.policies[1] (PodSecurityPolicy "Bad_Name"): kind must be PodSecurityPolicy, got null`,
		`config.podSecurity.policies[1] (PodSecurityPolicy "Bad_Name"): metadata.name Bad_Name is not a valid name (a DNS subdomain: lower-case letters, digits, '-' and '.')`,
		`config.podSecurity.policies[1] (PodSecurityPolicy "Bad_Name"): spec is required and must be an object`,
		`config.podSecurity.policies[3] (PodSecurityPolicy "dup"): the name is used by config.podSecurity.policies[2] already; PodSecurityPolicy names are unique`,
	}
	_errors({"policies": [{"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "spec": _minimal}]}) == {"config.podSecurity.policies[0]: metadata.name null is not a valid name (a DNS subdomain: lower-case letters, digits, '-' and '.')"}
}

test_rules_and_ranges if {
	errs := _errors({"policies": [_psp("p", {
		"runAsUser": {"rule": "MustRunAsRoot", "ranges": [{"min": -1, "max": -2}]},
		"runAsGroup": {"rule": "RunAsAny", "ranges": [{"min": 1, "max": 1}]},
		"seLinux": {},
		"supplementalGroups": {"rule": "MustRunAs", "ranges": [{"min": 5, "max": 1}, {"min": "1", "max": 2}]},
		"hostPorts": [{"min": 1.5, "max": 2}],
		"privileged": "yes",
		"allowedCapabilities": "NET_ADMIN",
		"typo": true,
	})]})
	errs == {
		concat(": ", [_label, "spec.runAsUser.rule must be one of MustRunAs, MustRunAsNonRoot, RunAsAny, got MustRunAsRoot"]),
		concat(": ", [_label, "spec.runAsUser.ranges[0].min cannot be negative, got -1"]),
		concat(": ", [_label, "spec.runAsUser.ranges[0].max cannot be negative, got -2"]),
		concat(": ", [_label, "spec.runAsUser.ranges[0].min -1 cannot be greater than max -2"]),
		concat(": ", [_label, "spec.runAsGroup.ranges must be empty when the rule is RunAsAny"]),
		concat(": ", [_label, "spec.seLinux.rule must be one of MustRunAs, RunAsAny, got null"]),
		concat(": ", [_label, "spec.fsGroup.rule must be one of MayRunAs, MustRunAs, RunAsAny, got null"]),
		concat(": ", [_label, "spec.supplementalGroups.ranges[0].min 5 cannot be greater than max 1"]),
		concat(": ", [_label, "spec.supplementalGroups.ranges[1] must be {min, max} with integer IDs"]),
		concat(": ", [_label, "spec.hostPorts[0] must be {min, max} with integer ports"]),
		concat(": ", [_label, "spec.privileged must be a boolean, got string"]),
		concat(": ", [_label, "spec.allowedCapabilities must be an array, got string"]),
		concat(": ", [_label, `spec has unknown key "typo" (known: allowPrivilegeEscalation, allowedCSIDrivers, allowedCapabilities, allowedFlexVolumes, allowedHostPaths, allowedProcMountTypes, allowedUnsafeSysctls, defaultAddCapabilities, defaultAllowPrivilegeEscalation, forbiddenSysctls, fsGroup, hostIPC, hostNetwork, hostPID, hostPorts, privileged, readOnlyRootFilesystem, requiredDropCapabilities, runAsGroup, runAsUser, runtimeClass, seLinux, supplementalGroups, volumes)`]),
	}
	_spec_errors({"runAsGroup": {"rule": "MayRunAs"}}) == {concat(": ", [_label, "spec.runAsGroup.ranges must have at least one range when the rule is MayRunAs"])}
	_spec_errors({"runAsGroup": {"rule": "Sometimes"}}) == {concat(": ", [_label, "spec.runAsGroup.rule must be one of MayRunAs, MustRunAs, RunAsAny, got Sometimes"])}

	# Accepted by the API server, skipped by the plugin (see test_skipped_psp).
	_spec_errors({"runAsUser": {"rule": "MustRunAs"}, "fsGroup": {"rule": "MustRunAs"}}) == set()
}

test_lists_and_capabilities if {
	errs := _spec_errors({
		"volumes": ["secret", "image", 3],
		"allowedProcMountTypes": ["Masked"],
		"allowPrivilegeEscalation": false,
		"defaultAllowPrivilegeEscalation": true,
		"requiredDropCapabilities": ["ALL", "NET_RAW"],
		"allowedCapabilities": ["*", "NET_RAW"],
		"defaultAddCapabilities": ["NET_RAW"],
	})
	errs == {
		concat(": ", [_label, `spec.volumes[1] "image" is not a volume type (known: *, awsElasticBlockStore, azureDisk, azureFile, cephfs, cinder, configMap, csi, downwardAPI, emptyDir, ephemeral, fc, flexVolume, flocker, gcePersistentDisk, gitRepo, glusterfs, hostPath, iscsi, nfs, persistentVolumeClaim, photonPersistentDisk, portworxVolume, projected, quobyte, rbd, scaleIO, secret, storageos, vsphereVolume)`]),
		concat(": ", [_label, "spec.volumes[2] must be a string, got number"]),
		concat(": ", [_label, `spec.allowedProcMountTypes[0] must be Default or Unmasked, got "Masked"`]),
		concat(": ", [_label, "spec.defaultAllowPrivilegeEscalation cannot be true when allowPrivilegeEscalation is false"]),
		concat(": ", [_label, `spec.requiredDropCapabilities must be empty when allowedCapabilities has the wildcard "*"`]),
		concat(": ", [_label, "spec.allowedCapabilities has NET_RAW, which spec.requiredDropCapabilities also lists; remove it from one of them"]),
		concat(": ", [_label, "spec.defaultAddCapabilities has NET_RAW, which spec.requiredDropCapabilities also lists; remove it from one of them"]),
	}
}

test_paths_and_drivers if {
	errs := _spec_errors({
		"allowedHostPaths": [{"pathPrefix": ""}, {"pathPrefix": "/var/../etc"}, {"pathPrefix": "/ok", "readOnly": true}, "/tmp"],
		"allowedFlexVolumes": [{"driver": ""}, {"driver": "a/b"}],
		"allowedCSIDrivers": [{"name": "Csi.Example.COM"}, {"name": "bad_name"}, {}],
	})
	errs == {
		concat(": ", [_label, "spec.allowedHostPaths[0].pathPrefix is required"]),
		concat(": ", [_label, `spec.allowedHostPaths[1].pathPrefix "/var/../etc" must not contain '..'`]),
		concat(": ", [_label, "spec.allowedHostPaths[3].pathPrefix is required"]),
		concat(": ", [_label, "spec.allowedFlexVolumes[0].driver is required"]),
		concat(": ", [_label, "spec.allowedCSIDrivers[1].name bad_name is not a valid CSI driver name (at most 63 characters, a DNS subdomain)"]),
		concat(": ", [_label, "spec.allowedCSIDrivers[2].name null is not a valid CSI driver name (at most 63 characters, a DNS subdomain)"]),
	}
}

test_sysctls if {
	errs := _spec_errors({
		"allowedUnsafeSysctls": ["net.core.*", "kernel.msg*", "Bad", "*"],
		"forbiddenSysctls": ["net.core.somaxconn", "kernel.*", "vm.swappiness"],
	})
	errs == {
		concat(": ", [_label, `spec.allowedUnsafeSysctls[2] "Bad" is not a valid sysctl pattern (at most 253 characters, dot-separated names, optionally ending in *)`]),
		concat(": ", [_label, `spec.allowedUnsafeSysctls: when "*" is present, no other sysctl may be listed`]),
		concat(": ", [_label, `spec.allowedUnsafeSysctls "net.core.*" overlaps with spec.forbiddenSysctls "net.core.somaxconn"`]),
		concat(": ", [_label, `spec.allowedUnsafeSysctls "kernel.msg*" overlaps with spec.forbiddenSysctls "kernel.*"`]),
		concat(": ", [_label, `spec.allowedUnsafeSysctls "*" overlaps with spec.forbiddenSysctls "net.core.somaxconn"`]),
		concat(": ", [_label, `spec.allowedUnsafeSysctls "*" overlaps with spec.forbiddenSysctls "kernel.*"`]),
		concat(": ", [_label, `spec.allowedUnsafeSysctls "*" overlaps with spec.forbiddenSysctls "vm.swappiness"`]),
	}
	_spec_errors({"allowedUnsafeSysctls": ["vm.swappiness"], "forbiddenSysctls": ["vm.swappiness", "vm.*"]}) == {
		concat(": ", [_label, `spec.allowedUnsafeSysctls "vm.swappiness" overlaps with spec.forbiddenSysctls "vm.swappiness"`]),
		concat(": ", [_label, `spec.allowedUnsafeSysctls "vm.swappiness" overlaps with spec.forbiddenSysctls "vm.*"`]),
	}
}

test_runtime_class if {
	_spec_errors({"runtimeClass": {"allowedRuntimeClassNames": ["gvisor", "gvisor", "*", "Bad"], "defaultRuntimeClassName": "Nope"}}) == {
		concat(": ", [_label, "spec.runtimeClass.allowedRuntimeClassNames[3] Bad is not a valid RuntimeClass name"]),
		concat(": ", [_label, `spec.runtimeClass.allowedRuntimeClassNames[1] "gvisor" is listed twice`]),
		concat(": ", [_label, `spec.runtimeClass.allowedRuntimeClassNames: when "*" is present, no other name may be listed`]),
		concat(": ", [_label, "spec.runtimeClass.defaultRuntimeClassName Nope is not a valid RuntimeClass name"]),
	}
	_spec_errors({"runtimeClass": {"allowedRuntimeClassNames": ["gvisor"], "defaultRuntimeClassName": "kata"}}) == {concat(": ", [_label, `spec.runtimeClass.defaultRuntimeClassName "kata" must be in allowedRuntimeClassNames`])}
	_spec_errors({"runtimeClass": {"allowedRuntimeClassNames": ["*"], "defaultRuntimeClassName": "kata"}}) == set()
}

test_profile_annotations if {
	p := object.union(_psp("p", _minimal), {"metadata": {"annotations": {
		"apparmor.security.beta.kubernetes.io/defaultProfileName": "docker-default",
		"apparmor.security.beta.kubernetes.io/allowedProfileNames": "runtime/default,localhost/x",
		"seccomp.security.alpha.kubernetes.io/defaultProfileName": "localhost//abs",
		"seccomp.security.alpha.kubernetes.io/allowedProfileNames": "*,runtime/default,docker/default,unconfined,localhost/a/../b,sideways,",
	}}})
	_errors({"policies": [p]}) == {
		concat(": ", [_label, `metadata.annotations[apparmor.security.beta.kubernetes.io/defaultProfileName] "docker-default" is not an AppArmor profile (runtime/default, unconfined or localhost/<name>)`]),
		concat(": ", [_label, `metadata.annotations[seccomp.security.alpha.kubernetes.io/defaultProfileName] "localhost//abs" is not a seccomp profile (runtime/default, docker/default, unconfined or localhost/<relative path>)`]),
		concat(": ", [_label, `metadata.annotations[seccomp.security.alpha.kubernetes.io/allowedProfileNames] "localhost/a/../b" is not a seccomp profile (runtime/default, docker/default, unconfined or localhost/<relative path>)`]),
		concat(": ", [_label, `metadata.annotations[seccomp.security.alpha.kubernetes.io/allowedProfileNames] "sideways" is not a seccomp profile (runtime/default, docker/default, unconfined or localhost/<relative path>)`]),
		concat(": ", [_label, `metadata.annotations[seccomp.security.alpha.kubernetes.io/allowedProfileNames] "" is not a seccomp profile (runtime/default, docker/default, unconfined or localhost/<relative path>)`]),
	}
	empty := object.union(_psp("p", _minimal), {"metadata": {"annotations": {"seccomp.security.alpha.kubernetes.io/allowedProfileNames": "", "seccomp.security.alpha.kubernetes.io/defaultProfileName": ""}}})
	_errors({"policies": [empty]}) == set()
}

_rbac_errors(objs) := _errors({"policies": [], "rbac": objs})

_rbac(kind, meta, body) := object.union({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta}, body)

test_rbac_objects if {
	_rbac_errors([
		"x",
		{"kind": "Secret", "metadata": {"name": "s"}},
		_rbac("Role", {"name": "r"}, {"rules": [1, {"verbs": [], "resources": ["podsecuritypolicies"]}, {"verbs": "use", "apiGroups": ["policy"], "resources": ["*"]}]}),
		_rbac("ClusterRole", {"name": "c"}, {"rules": {}, "apiVersion": "v1"}),
		_rbac("ClusterRole", {"name": "c"}, {}),
		_rbac("ClusterRole", {}, {}),
		_rbac("ClusterRole", {"name": "a/b"}, {"apiVersion": "rbac.authorization.k8s.io/v1beta1", "rules": [{"verbs": ["get"], "nonResourceURLs": ["/x"], "resources": ["pods"], "apiGroups": [""]}]}),
		_rbac("Role", {"name": "n", "namespace": "x"}, {"rules": [{"verbs": ["get"], "nonResourceURLs": ["/x"]}]}),
	]) == {
		"config.podSecurity.rbac[0] must be an RBAC object (ClusterRole, ClusterRoleBinding, Role, RoleBinding), got string",
		`config.podSecurity.rbac[1] (Secret "s") must be an RBAC object (ClusterRole, ClusterRoleBinding, Role, RoleBinding), got kind Secret`,
		`config.podSecurity.rbac[2] (Role "r"): metadata.namespace is required for a Role`,
		`config.podSecurity.rbac[2] (Role "r"): rules[0] must be an object`,
		`config.podSecurity.rbac[2] (Role "r"): rules[1].verbs must list at least one verb`,
		`config.podSecurity.rbac[2] (Role "r"): rules[1] must list apiGroups and resources (or only nonResourceURLs)`,
		`config.podSecurity.rbac[2] (Role "r"): rules[2].verbs must be an array of strings`,
		`config.podSecurity.rbac[2] (Role "r"): rules[2].verbs must list at least one verb`,
		`config.podSecurity.rbac[3] (ClusterRole "c"): apiVersion must be rbac.authorization.k8s.io/v1, got v1`,
		`config.podSecurity.rbac[3] (ClusterRole "c"): rules must be an array`,
		`config.podSecurity.rbac[4] (ClusterRole "c"): an object of this kind, namespace and name comes earlier in config.podSecurity.rbac`,
		"config.podSecurity.rbac[5]: metadata.name is required",
		`config.podSecurity.rbac[6] (ClusterRole "a/b"): metadata.name "a/b" may not be . or .. nor contain / or %`,
		`config.podSecurity.rbac[6] (ClusterRole "a/b"): rules[0] lists nonResourceURLs with apiGroups, resources or resourceNames; split it in two rules`,
		`config.podSecurity.rbac[7] (Role "n"): rules[0]: a Role cannot have nonResourceURLs`,
	}
}

test_rbac_bindings if {
	_rbac_errors([
		_rbac("ClusterRoleBinding", {"name": "b"}, {"roleRef": {"apiGroup": "rbac", "kind": "Role", "name": ""}, "subjects": [
			"x",
			{"kind": "Robot", "name": "r"},
			{"kind": "ServiceAccount", "name": "sa"},
			{"kind": "User", "name": "", "apiGroup": "v1"},
			{"kind": "ServiceAccount", "name": "Bad_Name", "namespace": "n"},
		]}),
		_rbac("RoleBinding", {"name": "b", "namespace": "n"}, {"subjects": {}}),
		_rbac("RoleBinding", {"name": "ok", "namespace": "n"}, {"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"}, "subjects": [{"kind": "ServiceAccount", "name": "sa", "apiGroup": "rbac.authorization.k8s.io"}, {"kind": "Group", "name": "g"}]}),
	]) == {
		"config.podSecurity.rbac[0] (ClusterRoleBinding \"b\"): roleRef.apiGroup must be rbac.authorization.k8s.io, got rbac",
		"config.podSecurity.rbac[0] (ClusterRoleBinding \"b\"): roleRef.kind must be ClusterRole, got Role",
		"config.podSecurity.rbac[0] (ClusterRoleBinding \"b\"): roleRef.name is required",
		"config.podSecurity.rbac[0] (ClusterRoleBinding \"b\"): subjects[0] must be an object",
		"config.podSecurity.rbac[0] (ClusterRoleBinding \"b\"): subjects[1].kind must be User, Group or ServiceAccount, got Robot",
		"config.podSecurity.rbac[0] (ClusterRoleBinding \"b\"): subjects[2].namespace is required for a ServiceAccount in a ClusterRoleBinding",
		"config.podSecurity.rbac[0] (ClusterRoleBinding \"b\"): subjects[3].name is required",
		"config.podSecurity.rbac[0] (ClusterRoleBinding \"b\"): subjects[3].apiGroup must be rbac.authorization.k8s.io for a User",
		"config.podSecurity.rbac[0] (ClusterRoleBinding \"b\"): subjects[4].name \"Bad_Name\" is not a valid service account name (a DNS subdomain)",
		"config.podSecurity.rbac[1] (RoleBinding \"b\"): roleRef must be an object with apiGroup, kind and name",
		"config.podSecurity.rbac[1] (RoleBinding \"b\"): subjects must be an array",
		`config.podSecurity.rbac[2] (RoleBinding "ok"): subjects[0].apiGroup must be "" (or absent) for a ServiceAccount`,
	}
}

# --- who may use which PSP ---

_rb(kind, ns, name, ref_kind, ref_name, subjects) := _rbac(kind, object.union({"name": name}, _ns(ns)), {"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": ref_kind, "name": ref_name}, "subjects": subjects})

_ns("") := {}

_ns(ns) := {"namespace": ns} if ns != ""

_role(kind, ns, name, rules) := _rbac(kind, object.union({"name": name}, _ns(ns)), {"rules": rules})

_use(names) := {"apiGroups": ["policy"], "resources": ["podsecuritypolicies"], "verbs": ["use"], "resourceNames": names}

_usable(rbac, infos, ns) := u if {
	cfg := testdata.config_with("podSecurity", {"policies": [_psp("a", _minimal), _psp("b", _minimal)], "rbac": rbac})
	u := podsecurity.usable(infos, ns) with data.config as cfg
}

_alice := {"username": "alice", "groups": {"dev"}}

test_rbac_grants if {
	# A RoleBinding applies in its own namespace only; its ServiceAccount subject defaults to it.
	rbac := [
		_role("Role", "team", "use-a", [_use(["a"])]),
		_rb("RoleBinding", "team", "a", "Role", "use-a", [{"kind": "ServiceAccount", "name": "web"}]),
		_role("ClusterRole", "", "use-all", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]),
		_rb("RoleBinding", "other", "all", "ClusterRole", "use-all", [{"kind": "User", "name": "alice"}]),
	]
	_usable(rbac, [podsecurity.service_account_info("team", "web")], "team") == {"a"}
	_usable(rbac, [podsecurity.service_account_info("other", "web")], "other") == set()
	_usable(rbac, [_alice], "other") == {"a", "b"}
	_usable(rbac, [_alice], "team") == set()
	_usable(rbac, [_alice], "") == set()
}

test_rbac_rules_that_grant_nothing if {
	rbac := [
		_role("ClusterRole", "", "c", [
			{"apiGroups": ["apps"], "resources": ["podsecuritypolicies"], "verbs": ["use"]},
			{"apiGroups": ["policy"], "resources": ["podsecuritypolicy"], "verbs": ["use"]},
			{"apiGroups": ["policy"], "resources": ["podsecuritypolicies"], "verbs": ["get", "list"]},
			"not a rule",
		]),
		_rb("ClusterRoleBinding", "", "c", "ClusterRole", "c", [{"kind": "Group", "name": "dev"}]),
		_role("Role", "team", "r", [_use([])]),
		_rb("ClusterRoleBinding", "", "r", "Role", "r", [{"kind": "Group", "name": "dev"}]),
		_rb("ClusterRoleBinding", "", "missing", "ClusterRole", "missing", [{"kind": "Group", "name": "dev"}]),
		_rb("ClusterRoleBinding", "", "sa", "ClusterRole", "c2", [{"kind": "ServiceAccount", "name": "web"}]),
		_role("ClusterRole", "", "c2", [_use(["b"])]),
	]
	_usable(rbac, [_alice, podsecurity.service_account_info("team", "web")], "team") == set()
}

test_rbac_extensions_group_and_names if {
	rbac := [
		_role("ClusterRole", "", "ext", [{"apiGroups": ["extensions"], "resources": ["podsecuritypolicies"], "verbs": ["use"], "resourceNames": ["b", "zzz"]}]),
		_rb("ClusterRoleBinding", "", "ext", "ClusterRole", "ext", [{"kind": "ServiceAccount", "name": "web", "namespace": "team"}]),
	]
	_usable(rbac, [podsecurity.service_account_info("team", "web")], "team") == {"b"}
	_usable(rbac, [podsecurity.service_account_info("team", "web")], "elsewhere") == {"b"}
	_usable(rbac, [podsecurity.service_account_info("team", "db")], "team") == set()
}

# kube-apiserver authorizes the group system:masters before RBAC is asked: its members may use every PSP.
test_system_masters_use_every_psp if {
	admin := {"username": "kubernetes-admin", "groups": {"system:masters", "system:authenticated"}}
	_usable([], [admin], "team") == {"a", "b"}
	_usable([], [_alice], "team") == set()
}

# Subjects match on what the API server authenticates: a User named like a service account's username
# is that service account, a Group is not a User of the same name, and many bindings grant together.
test_rbac_subjects_match_identities if {
	rbac := array.concat(
		[
			_role("ClusterRole", "", "use-a", [_use(["a"])]),
			_role("ClusterRole", "", "use-b", [_use(["b"])]),
			_rb("ClusterRoleBinding", "", "sa-as-user", "ClusterRole", "use-a", [{"kind": "User", "name": "system:serviceaccount:team:web"}]),
			_rb("ClusterRoleBinding", "", "group-alice", "ClusterRole", "use-b", [{"kind": "Group", "name": "alice"}]),
		],
		[_rb("RoleBinding", "team", sprintf("u%d", [i]), "ClusterRole", "use-b", [{"kind": "User", "name": sprintf("user-%d", [i])}]) | some i in numbers.range(1, 30)],
	)
	_usable(rbac, [podsecurity.service_account_info("team", "web")], "team") == {"a"}
	_usable(rbac, [_alice], "team") == set()
	_usable(rbac, [{"username": "bob", "groups": {"alice"}}], "team") == {"b"}
	_usable(rbac, [{"username": "user-17", "groups": set()}], "team") == {"b"}
	_usable(rbac, [{"username": "user-17", "groups": set()}], "other") == set()
	_usable(rbac, [{"username": "user-31", "groups": set()}], "team") == set()
}
