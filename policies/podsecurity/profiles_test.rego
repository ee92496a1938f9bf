package wasmgate.podsecurity_profiles_test

import data.wasmgate.lib.testdata
import data.wasmgate.podsecurity

# The unbound DNS cache: drops ALL but adds NET_BIND_SERVICE, runs as root
# with a writable group, uses a configMap. Needs the unbound profile.
_unbound_container := testdata.container_with("unbound", {"securityContext": {
	"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
	"runAsUser": 0,
	"runAsNonRoot": false,
}})

_unbound_spec(sa) := object.union(testdata.pod_spec([_unbound_container]), {
	"serviceAccountName": sa,
	"securityContext": {"fsGroup": 0},
	"volumes": [{"name": "conf", "configMap": {"name": "unbound"}}, {"name": "tmp", "emptyDir": {}}],
})

test_unbound_profile_bound_to_its_service_account if {
	count(podsecurity.violations) == 0 with input as testdata.deployment("internet-egress", _unbound_spec("unbound"))
}

test_unbound_profile_not_for_other_pairs if {
	other_sa := podsecurity.violations with input as testdata.deployment("internet-egress", _unbound_spec("squid"))
	{v.policy | some v in other_sa} == {"pod-security.capabilities", "pod-security.run-as-non-root", "pod-security.fs-group"}
	other_ns := podsecurity.violations with input as testdata.deployment("app-a", _unbound_spec("unbound"))
	count(other_ns) == 3
}

test_unbound_profile_still_restricts if {
	spec := object.union(_unbound_spec("unbound"), {"volumes": [{"name": "s", "secret": {"secretName": "x"}}], "hostNetwork": true})
	vs := podsecurity.violations with input as testdata.deployment("internet-egress", spec)
	some v in vs
	v.message == `Deployment internet-egress/web: volume "s" is of type secret, which pod-security profile "unbound" does not allow (allowed: configMap, emptyDir); use an allowed volume type`
	{v.policy | some v in vs} == {"pod-security.volumes", "pod-security.host-namespaces"}
}

test_default_service_account if {
	podsecurity.profile_name("internet-egress", "default") == "restricted"
	spec := object.remove(_unbound_spec("unbound"), ["serviceAccountName"])
	count(podsecurity.violations) == 3 with input as testdata.deployment("internet-egress", spec)

	# the deprecated serviceAccount field is honoured when serviceAccountName is empty
	spec2 := object.union(spec, {"serviceAccount": "unbound"})
	count(podsecurity.violations) == 0 with input as testdata.deployment("internet-egress", spec2)
}

_relaxed := testdata.config_with("podSecurity", object.union(data.config.podSecurity, {
	"profiles": {"node-agent": {
		"privileged": true,
		"allowPrivilegeEscalation": true,
		"allowedCapabilities": ["*"],
		"requiredDropCapabilities": [],
		"volumes": ["*"],
		"hostNetwork": true,
		"hostIPC": true,
		"hostPID": true,
		"hostPorts": [{"min": 9000, "max": 9100}],
		"runAsUser": {"rule": "RunAsAny"},
		"supplementalGroups": {"rule": "MustRunAs", "ranges": [{"min": 0, "max": 10}]},
		"readOnlyRootFilesystem": false,
	}},
	"bindings": [{"namespace": "kube-system", "serviceAccountName": "node-agent", "profile": "node-agent"}],
}))

test_fully_relaxed_profile if {
	ctr := {
		"name": "agent",
		"image": "quay.io/cybozu/agent:1",
		"securityContext": {"privileged": true, "capabilities": {"add": ["SYS_ADMIN", "cap_net_admin"]}, "runAsUser": 0},
		"ports": [{"containerPort": 9100, "hostPort": 9100}],
	}
	spec := {
		"serviceAccountName": "node-agent",
		"hostNetwork": true,
		"hostPID": true,
		"hostIPC": true,
		"securityContext": {"supplementalGroups": [0]},
		"volumes": [{"name": "root", "hostPath": {"path": "/"}}],
		"containers": [ctr],
	}
	count(podsecurity.violations) == 0 with input as testdata.review("Pod", "kube-system", "agent", {"spec": spec}) with data.config as _relaxed
	busy := object.union(spec, {"containers": [object.union(ctr, {"ports": [{"containerPort": 80, "hostPort": 80}]})]})
	vs := podsecurity.violations with input as testdata.review("Pod", "kube-system", "agent", {"spec": busy}) with data.config as _relaxed
	some v in vs
	v.message == `Pod kube-system/agent: container "agent" uses hostPort 80, which pod-security profile "node-agent" does not allow (allowed: 9000-9100); remove the hostPort and use a Service`
}

test_capability_names_normalised if {
	cfg := testdata.config_with("podSecurity", object.union(data.config.podSecurity, {"profiles": {"web": {"allowedCapabilities": ["NET_BIND_SERVICE"], "requiredDropCapabilities": ["NET_RAW", "CAP_SYS_ADMIN"]}}, "bindings": [{"namespace": "app-a", "serviceAccountName": "web", "profile": "web"}]}))
	ok := testdata.container_with("web", {"securityContext": {"capabilities": {"drop": ["CAP_NET_RAW", "SYS_ADMIN"], "add": ["cap_net_bind_service"]}}})
	count(podsecurity.violations) == 0 with input as testdata.deployment("app-a", testdata.pod_spec([ok])) with data.config as cfg
	bad := testdata.container_with("web", {"securityContext": {"capabilities": {"drop": ["NET_RAW"], "add": ["NET_ADMIN"]}}})
	vs := podsecurity.violations with input as testdata.deployment("app-a", testdata.pod_spec([bad])) with data.config as cfg
	{v.path | some v in vs} == {"spec.template.spec.containers[0].securityContext.capabilities.drop", "spec.template.spec.containers[0].securityContext.capabilities.add[0]"}
}

test_profile_merge if {
	p := podsecurity.profile("unbound")
	p.allowedCapabilities == ["NET_BIND_SERVICE"]
	p.requiredDropCapabilities == ["ALL"]
	p.hostPorts == []
	p.privileged == false
	podsecurity.profile("no-such-profile") == podsecurity.profile("restricted")
}

test_duplicate_binding_picks_first_name if {
	cfg := testdata.config_with("podSecurity", object.union(data.config.podSecurity, {"bindings": [
		{"namespace": "a", "serviceAccountName": "s", "profile": "unbound"},
		{"namespace": "a", "serviceAccountName": "s", "profile": "restricted"},
	]}))
	podsecurity.profile_name("a", "s") == "restricted" with data.config as cfg
}

test_valid_default_config if {
	count(podsecurity.config_errors) == 0
}

test_config_errors_profiles if {
	cfg := testdata.config_with("podSecurity", {
		"defaultProfile": "restricted",
		"profiles": {
			"restricted": object.remove(data.config.podSecurity.profiles.restricted, ["hostPorts"]),
			"bad": {
				"privileged": "no",
				"allowedCapabilities": ["NET_ADMIN", 1],
				"volumes": ["configmap"],
				"runAsUser": {"rule": "MustRunAs"},
				"fsGroup": {"rule": "MustRunAs"},
				"supplementalGroups": {"rule": "MustRunAs", "ranges": [{"min": 10, "max": 1}]},
				"hostPorts": [{"min": 0, "max": 70000}],
				"sysctls": [],
			},
			"notobject": [],
		},
		"bindings": [
			{"namespace": "a", "serviceAccountName": "s", "profile": "bad"},
			{"namespace": "a", "serviceAccountName": "s", "profile": "restricted"},
			{"namespace": "b", "serviceAccountName": "s", "profile": "missing"},
			{"namespace": "", "serviceAccountName": "s", "profile": "bad", "name": "x"},
			"c/s",
		],
	})
	errs := podsecurity.config_errors with data.config as cfg
	expected := {
		"config.podSecurity.profiles.restricted (the default profile) must set hostPorts",
		"config.podSecurity.profiles.bad.privileged must be a boolean, got string",
		"config.podSecurity.profiles.bad.allowedCapabilities[1] must be a non-empty string, got number",
		`config.podSecurity.profiles.bad has unknown key "sysctls" (known: allowPrivilegeEscalation, allowedCapabilities, fsGroup, hostIPC, hostNetwork, hostPID, hostPorts, privileged, readOnlyRootFilesystem, requiredDropCapabilities, runAsUser, seLinux, supplementalGroups, volumes)`,
		"config.podSecurity.profiles.bad.runAsUser.rule must be one of MustRunAsNonRoot, RunAsAny, got MustRunAs",
		"config.podSecurity.profiles.bad.fsGroup.rule is MustRunAs but no ranges are set",
		"config.podSecurity.profiles.bad.supplementalGroups must be a list of {min, max} integer ranges with 0 <= min <= max <= 2147483647",
		"config.podSecurity.profiles.bad.hostPorts must be a list of {min, max} integer ranges with 0 <= min <= max <= 65535",
		"config.podSecurity.profiles.notobject must be an object, got array",
		"config.podSecurity.bindings: service account a/s is bound to more than one profile (bad, restricted); bind it to one",
		`config.podSecurity.bindings[2] binds to the profile "missing", which does not exist (profiles: bad, notobject, restricted)`,
		"config.podSecurity.bindings[3].namespace must be a non-empty string",
		`config.podSecurity.bindings[3] has unknown key "name" (known: namespace, profile, serviceAccountName)`,
		"config.podSecurity.bindings[4] must be an object with namespace, serviceAccountName and profile",
	}
	every e in expected {
		e in errs
	}
	some e in errs
	startswith(e, `config.podSecurity.profiles.bad.volumes[0] "configmap" is not a volume type (known: *, awsElasticBlockStore`)
	count(errs) == count(expected) + 1
}

test_config_errors_structure if {
	errs := podsecurity.config_errors with data.config as testdata.config_with("podSecurity", {"defaultProfile": "strict", "profiles": {}, "bindings": {}, "x": 1})
	errs == {
		`config.podSecurity has unknown key "x" (known: bindings, defaultProfile, profiles)`,
		"config.podSecurity.bindings must be an array, got object",
		`config.podSecurity.defaultProfile "strict" is not a profile in config.podSecurity.profiles`,
	}
	errs2 := podsecurity.config_errors with data.config as testdata.config_with("podSecurity", {})
	errs2 == {"config.podSecurity.defaultProfile is required", "config.podSecurity.profiles is required"}
}
