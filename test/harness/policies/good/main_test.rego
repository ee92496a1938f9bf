package wasmgate.main_test

import data.wasmgate.main

pod(image, labels) := {"kind": "Pod", "metadata": {"name": "p", "labels": labels}, "spec": {"containers": [{"name": "c", "image": image}]}}

review(op, ns, user, obj) := {"request": {"operation": op, "namespace": ns, "userInfo": {"username": user}, "object": obj}}

pulled(p) := object.union(p, {"spec": {"containers": [object.union(c, {"imagePullPolicy": "Always"}) | some c in p.spec.containers]}})

test_allowed if {
	d := main.decision with input as review("CREATE", "app", "u", pulled(pod("good.io/x", {"team": "a"})))
	d == {"allowed": true, "violations": []}
}

test_stale_images_warn if {
	d := main.decision with input as review("UPDATE", "app", "u", pod("good.io/x", {"team": "a"}))
	d.allowed
	d.violations == [{"policy": "stale-images", "action": "warn", "path": "spec.containers[0].imagePullPolicy", "message": "Pod p: container c may run a stale image: set imagePullPolicy Always"}]
}

test_registry_denied if {
	d := main.decision with input as review("CREATE", "app", "u", pod("bad.io/x", {"team": "a"}))
	not d.allowed
	d.violations[0].path == "spec.containers[0].image"
}

test_deployment_path if {
	dep := {"kind": "Deployment", "metadata": {"name": "d", "labels": {"team": "a"}}, "spec": {"template": {"spec": {"containers": [{"image": "bad.io/y"}]}}}}
	d := main.decision with input as review("CREATE", "app", "u", dep)
	d.violations[0].path == "spec.template.spec.containers[0].image"
}

test_label_warns if {
	d := main.decision with input as review("CREATE", "app", "u", pod("good.io/x", {}))
	d.allowed
	d.violations[0].action == "warn"
}

test_locked_namespace if {
	not main.allowed with input as review("CREATE", "locked", "u", pulled(pod("good.io/x", {"team": "a"})))
	main.allowed with input as review("CREATE", "locked", "root", pulled(pod("good.io/x", {"team": "a"})))
}

test_delete_namespace if {
	not main.allowed with input as {"request": {"operation": "DELETE", "userInfo": {}, "oldObject": {"kind": "Namespace", "metadata": {"name": "n"}}}}
}

test_no_request_is_allowed if {
	main.decision.allowed with input as {}
}

test_config_errors if {
	main.config_errors == {"config.registry must be a string"} with data.config.registry as 1
	count(main.config_errors) == 0
}

test_mutation_defaults_pull_policy if {
	p := object.union(pod("good.io/x", {}), {"spec": {"containers": [{"name": "a", "image": "good.io/a"}, {"name": "b", "image": "good.io/b", "imagePullPolicy": "Never"}]}})
	m := main.mutation with input as review("CREATE", "app", "u", p)
	m == {"patch": [{"op": "add", "path": "/spec/containers/0/imagePullPolicy", "value": "Always"}], "profile": "good"}
	main.mutation == {"patch": [], "profile": null} with input as review("CREATE", "app", "u", pod("bad.io/x", {}))
}

todo_test_later if {
	false
}
