package wasmgate.lib.messages_test

import data.wasmgate.lib.messages

test_list if {
	messages.list(["a", "b"]) == "a, b"
	messages.list([1]) == "1"
	messages.list(["a", 1, null, ["b"]]) == `a, 1, null, ["b"]`
	messages.list([]) == "none"
}

test_violation if {
	inp := {"request": {"kind": {"group": "", "kind": "Pod"}, "namespace": "a", "name": "p"}}
	messages.violation("x", "spec", "text") == {"policy": "x", "path": "spec", "message": "Pod a/p: text"} with input as inp
	messages.violation_no_path("x", "text") == {"policy": "x", "message": "Pod a/p: text"} with input as inp
	messages.violation("x", "spec", 3).message == sprintf("%s: %s", ["Pod a/p", 3]) with input as inp
}
