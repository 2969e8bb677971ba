# SPDX-License-Identifier: GPL-2.0
#
# Count TAP results so that nothing can hide: a plan is a promise, and every
# result it promised that never came is a failure; a program that failed
# without saying which test failed is one failure; a skip needs a reason.
# selftests/run and scripts/test both count with this file, so they agree.
#
#   awk -v mode=program -v rc=STATUS [-v cut=WHY] -f selftests/ktap.awk OUTPUT
#	One program's TAP, as it printed it, and its exit status. Prints a
#	"not ok N never_reported # WHY" line for each result its plan promised
#	and it never gave (for the caller to add to its TAP), then
#	"RESULT PASSED FAILED SKIPPED WHY" on one line; RESULT is ok, skip or
#	fail, and WHY (the rest of the line) says what went wrong, if anything.
#	cut=WHY: the program was cut short (its VM timed out), no exit status.
#
#   awk -v mode=stream -f selftests/ktap.awk LOG
#	The combined KTAP stream: one plan, each program's TAP nested two
#	spaces in, then its result. Prints a "# failed: PROGRAM: WHAT" line for
#	each failure, then the closing line, "N passed, N failed" with
#	", N skipped" when any were.

function block_reset() {
	plan = -1
	plan_skip = ""
	results = 0
	passed = 0
	failed = 0
	skipped = 0
	failures = ""
	why = ""
	unreported = 0
}

# The text of a result line after "ok N " or "not ok N ".
function description(line) {
	sub(/^(not )?ok [0-9]+ ?(- )?/, "", line)
	return line
}

function note(what) {
	why = why == "" ? what : why "; " what
}

# One line of a program's own TAP, not indented.
function block_line(line,    n) {
	if (line ~ /^1\.\.[0-9]+/) {
		n = line
		sub(/^1\.\./, "", n)
		sub(/[^0-9].*/, "", n)
		plan = (plan < 0 ? 0 : plan) + n
		if (n == 0 && line ~ /# *[Ss][Kk][Ii][Pp]/) {
			plan_skip = line
			sub(/^[^#]*# *[Ss][Kk][Ii][Pp] */, "", plan_skip)
		}
	} else if (line ~ /^ok [0-9]+/) {
		results++
		if (line ~ /# *[Ss][Kk][Ii][Pp]/)
			skipped++
		else
			passed++
	} else if (line ~ /^not ok [0-9]+ never_reported/) {
		results++
		failed++
		if (!unreported++)
			unreported_why = description(line)
	} else if (line ~ /^not ok [0-9]+/) {
		results++
		failed++
		failures = failures "\n" description(line)
	}
}

# The block is over: what its plan promised and never came fails too.
function block_end() {
	if (unreported) {
		sub(/^never_reported # (planned [0-9]+, reported [0-9]+)?(; )?/, "",
		    unreported_why)
		failures = failures "\n" unreported " of " plan \
			" planned results never reported" \
			(unreported_why == "" ? "" : " (" unreported_why ")")
	}
	if (plan > results) {
		failed += plan - results
		note("planned " plan ", reported " results)
		failures = failures "\n" (plan - results) " of " plan \
			" planned results never reported"
	} else if (plan >= 0 && results > plan) {
		failed++
		note("planned " plan ", reported " results)
		failures = failures "\nmore results than its plan of " plan
	}
}

BEGIN {
	block_reset()
	top_plan = -1
	top_results = 0
	total_passed = total_failed = total_skipped = 0
}

mode == "program" {
	block_line($0)
	next
}

# mode == "stream": nested lines belong to the program whose result follows.
/^  [^ ]/ {
	block_line(substr($0, 3))
	nested_lines++
	next
}

/^1\.\.[0-9]+/ {
	if (top_plan < 0)
		top_plan = substr($0, 4) + 0
	next
}

/^(not )?ok [0-9]+/ {
	top_results++
	name = description($0)
	sub(/ *#.*/, "", name)
	block_end()
	if ($0 ~ /^not ok/ && failed == 0) {
		failed = 1
		reason = $0
		sub(/^[^#]*#? */, "", reason)
		failures = failures "\n" (reason == "" ? "failed" : reason)
	} else if ($0 ~ /# *[Ss][Kk][Ii][Pp]/ && results == 0) {
		skipped = 1
	} else if ($0 ~ /^ok/ && results == 0 && plan < 0) {
		passed = 1
	}
	total_passed += passed
	total_failed += failed
	total_skipped += skipped
	n = split(substr(failures, 2), list, "\n")
	for (i = 1; i <= n; i++)
		report = report "# failed: " name ": " list[i] "\n"
	block_reset()
	nested_lines = 0
}

END {
	if (mode == "program") {
		missing = plan - results
		block_end()
		if (cut != "") {
			failed += failed == 0
			note(cut)
		} else if (rc == 4 && results == 0 && plan_skip == "") {
			failed++
			note("exit status 4 without a SKIP reason")
		} else if (rc != 0 && rc != 4) {
			failed += failed == 0
			note(rc > 128 ? "killed by signal " rc - 128 : "exit status " rc)
		} else if (results == 0 && plan < 0) {
			failed++
			note("no TAP plan and no results")
		}
		# What the plan promised and never came, as results of their
		# own: then any TAP reader counts them.
		for (i = results + 1; i <= plan; i++)
			print "not ok " i " never_reported # " why
		if (failed)
			result = "fail"
		else if (plan_skip != "" && results == 0)
			result = "skip"
		else
			result = "ok"
		if (result == "skip") {
			skipped = 1
			why = plan_skip
		}
		print result, passed, failed, skipped, why
		exit 0
	}
	if (nested_lines) {
		total_failed++
		report = report "# failed: the last program's output has no result line\n"
	}
	if (top_plan < 0) {
		total_failed++
		report = report "# failed: the stream has no plan\n"
	} else if (top_results < top_plan) {
		total_failed += top_plan - top_results
		report = report "# failed: " (top_plan - top_results) " of " \
			top_plan " programs never reported\n"
	}
	printf "%s", report
	if (total_skipped)
		printf "%d passed, %d failed, %d skipped\n", total_passed,
			total_failed, total_skipped
	else
		printf "%d passed, %d failed\n", total_passed, total_failed
	exit total_failed > 0 || total_passed == 0
}
