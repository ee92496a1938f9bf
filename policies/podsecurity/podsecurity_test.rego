package wasmgate.podsecurity_test

import data.wasmgate.lib.testdata
import data.wasmgate.podsecurity

# Violations for a deployment in app-a whose only container is patched.
_container(patch) := vs if {
	vs := podsecurity.violations with input as testdata.deployment("app-a", testdata.pod_spec([testdata.container_with("web", patch)]))
}

# Violations for a deployment in app-a whose pod spec is patched.
_spec(patch) := vs if {
	vs := podsecurity.violations with input as testdata.deployment("app-a", object.union(testdata.pod_spec([testdata.container("web")]), patch))
}

_ids(vs) := {v.policy | some v in vs}

_container_without(field) := vs if {
	c := testdata.container("web")
	ctr := object.union(object.remove(c, ["securityContext"]), {"securityContext": object.remove(c.securityContext, [field])})
	vs := podsecurity.violations with input as testdata.deployment("app-a", testdata.pod_spec([ctr]))
}

test_compliant_pod_allowed if {
	count(_container({})) == 0
	count(_spec({})) == 0
}

test_privileged if {
	vs := _container({"securityContext": {"privileged": true}})
	vs == {{
		"policy": "pod-security.privileged",
		"path": "spec.template.spec.containers[0].securityContext.privileged",
		"message": `Deployment app-a/web: container "web" is privileged (pod-security profile "restricted"); set securityContext.privileged: false`,
	}}
	count(_container({"securityContext": {"privileged": false}})) == 0
}

test_privilege_escalation_must_be_explicitly_false if {
	vs := _container_without("allowPrivilegeEscalation")
	vs == {{
		"policy": "pod-security.privilege-escalation",
		"path": "spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation",
		"message": `Deployment app-a/web: container "web" does not set securityContext.allowPrivilegeEscalation (pod-security profile "restricted"); set securityContext.allowPrivilegeEscalation: false`,
	}}
	vs2 := _container({"securityContext": {"allowPrivilegeEscalation": true}})
	some v in vs2
	contains(v.message, "sets securityContext.allowPrivilegeEscalation to true")
}

test_capabilities_drop_all if {
	vs := _container_without("capabilities")
	_ids(vs) == {"pod-security.capabilities"}
	some v in vs
	v.path == "spec.template.spec.containers[0].securityContext.capabilities.drop"
	contains(v.message, `does not drop the capability "ALL"`)
	count(_container({"securityContext": {"capabilities": {"drop": ["NET_RAW"]}}})) == 1
	count(_container({"securityContext": {"capabilities": {"drop": "ALL"}}})) == 1
	count(_container({"securityContext": {"capabilities": {"drop": ["all"]}}})) == 1
}

test_capabilities_nothing_added if {
	vs := _container({"securityContext": {"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}}})
	vs == {{
		"policy": "pod-security.capabilities",
		"path": "spec.template.spec.containers[0].securityContext.capabilities.add[0]",
		"message": `Deployment app-a/web: container "web" adds the capability NET_BIND_SERVICE, which pod-security profile "restricted" does not allow (allowed: none); remove it from securityContext.capabilities.add`,
	}}
	count(_container({"securityContext": {"capabilities": {"drop": ["ALL"], "add": []}}})) == 0
}

test_volumes if {
	vs := _spec({"volumes": [{"name": "root", "hostPath": {"path": "/"}}]})
	vs == {{
		"policy": "pod-security.volumes",
		"path": "spec.template.spec.volumes[0]",
		"message": `Deployment app-a/web: volume "root" is of type hostPath, which pod-security profile "restricted" does not allow (allowed: configMap, emptyDir, projected, secret, downwardAPI, persistentVolumeClaim); use an allowed volume type`,
	}}
	count(_spec({"volumes": [
		{"name": "a", "configMap": {"name": "a"}},
		{"name": "b", "emptyDir": {}},
		{"name": "c", "projected": {"sources": []}},
		{"name": "d", "secret": {"secretName": "d"}},
		{"name": "e", "downwardAPI": {"items": []}},
		{"name": "f", "persistentVolumeClaim": {"claimName": "f"}},
		{"name": "g"},
	]})) == 0
	count(_spec({"volumes": [{"name": "n", "nfs": {}}, {"name": "e", "ephemeral": {}}]})) == 2
}

test_host_namespaces if {
	vs := _spec({"hostNetwork": true, "hostIPC": true, "hostPID": true})
	{v.path | some v in vs} == {"spec.template.spec.hostNetwork", "spec.template.spec.hostIPC", "spec.template.spec.hostPID"}
	_ids(vs) == {"pod-security.host-namespaces"}
	count(_spec({"hostNetwork": false, "hostIPC": false, "hostPID": false})) == 0
}

test_host_ports if {
	vs := _container({"ports": [{"containerPort": 8080}, {"containerPort": 53, "hostPort": 53}]})
	vs == {{
		"policy": "pod-security.host-ports",
		"path": "spec.template.spec.containers[0].ports[1].hostPort",
		"message": `Deployment app-a/web: container "web" uses hostPort 53, which pod-security profile "restricted" does not allow (allowed: none); remove the hostPort and use a Service`,
	}}
	count(_container({"ports": [{"containerPort": 8080, "hostPort": 0}]})) == 0
}

test_run_as_non_root if {
	count(_container({"securityContext": {"runAsNonRoot": true, "runAsUser": 1}})) == 0
	count(_container_without("runAsUser")) == 0
	count(_container_without("runAsNonRoot")) == 0

	# runAsUser 0 is denied even with runAsNonRoot: true
	vs := _container({"securityContext": {"runAsUser": 0}})
	vs == {{
		"policy": "pod-security.run-as-non-root",
		"path": "spec.template.spec.containers[0].securityContext.runAsUser",
		"message": `Deployment app-a/web: container "web" runs as root (runAsUser: 0) (pod-security profile "restricted"); set runAsUser to a non-zero UID and runAsNonRoot: true`,
	}}
}

test_run_as_non_root_missing if {
	c := testdata.container("web")
	ctr := object.union(object.remove(c, ["securityContext"]), {"securityContext": object.remove(c.securityContext, ["runAsUser", "runAsNonRoot"])})
	vs := podsecurity.violations with input as testdata.deployment("app-a", testdata.pod_spec([ctr]))
	vs == {{
		"policy": "pod-security.run-as-non-root",
		"path": "spec.template.spec.containers[0].securityContext.runAsNonRoot",
		"message": `Deployment app-a/web: container "web" may run as root: neither runAsNonRoot: true nor a non-zero runAsUser is set (pod-security profile "restricted"); set securityContext.runAsNonRoot: true (and runAsUser to a non-zero UID)`,
	}}

	# pod-level values are inherited ...
	ok := podsecurity.violations with input as testdata.deployment("app-a", object.union(testdata.pod_spec([ctr]), {"securityContext": {"runAsNonRoot": true}}))
	count(ok) == 0

	# ... and a pod-level runAsUser: 0 is reported at the pod level
	root := podsecurity.violations with input as testdata.deployment("app-a", object.union(testdata.pod_spec([ctr]), {"securityContext": {"runAsUser": 0, "runAsNonRoot": true}}))
	{v.path | some v in root} == {"spec.template.spec.securityContext.runAsUser"}

	# container values override pod values
	overridden := podsecurity.violations with input as testdata.deployment("app-a", object.union(testdata.pod_spec([object.union(ctr, {"securityContext": {"runAsNonRoot": false}})]), {"securityContext": {"runAsNonRoot": true}}))
	{v.path | some v in overridden} == {"spec.template.spec.containers[0].securityContext.runAsNonRoot"}
	fixed := podsecurity.violations with input as testdata.deployment("app-a", object.union(testdata.pod_spec([object.union(ctr, {"securityContext": {"runAsUser": 1000}})]), {"securityContext": {"runAsUser": 0}}))
	count(fixed) == 0
}

test_fs_group if {
	count(_spec({"securityContext": {"fsGroup": 1}})) == 0
	count(_spec({"securityContext": {"fsGroup": 65535}})) == 0
	count(_spec({"securityContext": {"fsGroup": null}})) == 0
	vs := _spec({"securityContext": {"fsGroup": 0}})
	vs == {{
		"policy": "pod-security.fs-group",
		"path": "spec.template.spec.securityContext.fsGroup",
		"message": `Deployment app-a/web: the pod sets fsGroup 0, which pod-security profile "restricted" does not allow (allowed: 1-65535); set securityContext.fsGroup within the allowed ranges`,
	}}
	count(_spec({"securityContext": {"fsGroup": 65536}})) == 1
}

test_supplemental_groups if {
	count(_spec({"securityContext": {"supplementalGroups": [1, 65535]}})) == 0
	vs := _spec({"securityContext": {"supplementalGroups": [1000, 0, 70000]}})
	{v.path | some v in vs} == {"spec.template.spec.securityContext.supplementalGroups[1]", "spec.template.spec.securityContext.supplementalGroups[2]"}
	_ids(vs) == {"pod-security.supplemental-groups"}
}

test_read_only_root_filesystem if {
	vs := _container_without("readOnlyRootFilesystem")
	vs == {{
		"policy": "pod-security.read-only-root-filesystem",
		"path": "spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem",
		"message": `Deployment app-a/web: container "web" does not set securityContext.readOnlyRootFilesystem: true (pod-security profile "restricted"); set it and mount an emptyDir where the container must write`,
	}}
	count(_container({"securityContext": {"readOnlyRootFilesystem": false}})) == 1
}

test_all_container_kinds_checked if {
	bare := {"name": "x", "image": "quay.io/cybozu/ubuntu:22.04"}
	spec := object.union(testdata.pod_spec([testdata.container("web")]), {
		"initContainers": [object.union(bare, {"name": "init"})],
		"ephemeralContainers": [object.union(bare, {"name": "debug"})],
	})
	vs := podsecurity.violations with input as testdata.pod("app-a", spec)
	{v.path | some v in vs; v.policy == "pod-security.read-only-root-filesystem"} == {
		"spec.initContainers[0].securityContext.readOnlyRootFilesystem",
		"spec.ephemeralContainers[0].securityContext.readOnlyRootFilesystem",
	}
	some v in vs
	startswith(v.message, `Pod app-a/web: ephemeral container "debug" `)
}

test_container_without_name if {
	vs := _container({"name": null, "securityContext": {"privileged": true}})
	some v in vs
	v.message == `Deployment app-a/web: container containers[0] is privileged (pod-security profile "restricted"); set securityContext.privileged: false`
}
