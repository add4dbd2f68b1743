# pass-summary.jq: pass.sh's summary of one pass, in one run of jq.
# Input: the pass's records (objects and unchanged results left out).
# Output, raw lines: (1) the summary as JSON, (2) the log line that ends
# the pass, (3...) when $metrics is set, the source's Prometheus textfile
# from this summary and $other[0] (the other pass's).

def short: if . then .[0:12] else "none" end;
def cap: .[0:100];	# lists are capped; counts say how many in all

[inputs] as $r
| ($prev[0] // {}) as $p
| ([$r[] | select(.type == "revision")] | last) as $rev
| [$r[] | select(.type == "end")] as $ends
| [$stages | split("\n")[] | select(. != "") | split("\t")
   | {stage: .[0], exit: (.[1] | tonumber)}] as $st
| def ids(a): [$r[] | select(.type == "applied" and .action == a) | .id];
{source: $source, pass: $pass, mode: $mode,
 startedAt: ($start | todate), finishedAt: ($stop | todate),
 durationSeconds: $dur, exit: $status, ok: ($status == 0),
 commit: ($rev.commit // null),
 synced: (if $marked == "yes" then $rev.commit
          else ($rev.synced // $p.synced // null) end),
 syncedAt: (if $marked == "yes" then ($stop | todate)
            else ($p.syncedAt // null) end),
 lastSuccessAt: (if $status == 0 then ($stop | todate)
                 else ($p.lastSuccessAt // null) end),
 lastFullSyncAt: (if $mode == "full" and $status == 0 then ($stop | todate)
                  else ($p.lastFullSyncAt // null) end),
 stages: [$st[] as $s | $s +
   ([$ends[] | select(.stage == $s.stage)] | last
    | if . then {ok, counts} else {} end)],
 counts: ([$ends[] | select(.stage == "kube-apply")] | last | .counts // {}),
 created: (ids("created") | cap), configured: (ids("configured") | cap),
 failed: ([$r[] | select(.type == "applied" and .action == "failed")
          | {id, error}] | cap),
 deleted: ([$r[] | select(.type == "deleted" and (.dryRun | not)
                    and .error == null) | .id] | cap),
 deletedCount: ([$ends[] | select(.stage == "gc") | .counts.deleted // 0]
                | add // 0),
 wouldDelete: ([$r[] | select(.type == "deleted" and .dryRun) | .id] | cap),
 updates: ([$r[] | select(.type == "update")
           | {id, container, from, to, commit}] | cap),
 errors: ([$r[] | select(.type == "error")
           | {stage, file, id, message}] | .[-10:]),
 images: ([$ends[] | select(.stage == "img-scan") | .counts.images // 0]
          | add // 0)}
| .changed = ((.created + .configured + .deleted + .updates | length) > 0)
# a pass that stopped after the fetch applied nothing: what the last
# applying pass did stays what status shows
| if $mode == "fetch" and $status == 0 and $p.pass then
    . + ($p | {counts, created, configured, failed, deleted, deletedCount,
               wouldDelete, errors, stages})
    | .changed = false
  else . end
| . as $sum
| ($sum | tojson),
  ({level: (if $sum.ok then "info" else "error" end), tool: "sluice",
    source: $source,
    msg: "\($pass) pass over '\($source)' \(if $sum.ok then "ok" else "failed (exit \($status))" end) in \($dur) s (\($mode), commit \($sum.commit | short))"}
   | tojson),
  (select($metrics != "")
   | def esc: tostring | gsub("\\\\"; "\\\\") | gsub("\""; "\\\"")
         | gsub("\n"; "\\n");
     def lab(o): "{" + ([o | to_entries[] | "\(.key)=\"\(.value | esc)\""]
         | join(",")) + "}";
     def ts: if . then fromdateiso8601 else 0 end;
     def family(name; type; help; rows):
       "# HELP \(name) \(help)", "# TYPE \(name) \(type)",
       (rows | "\(name)\(lab(.[0])) \(.[1])");
     ([$sum] + [$other[0] // empty] | sort_by(.pass)) as $all
     | family("sluice_pass_duration_seconds"; "gauge";
         "Wall time of the last pass.";
         $all[] | [{source, pass}, .durationSeconds]),
       family("sluice_pass_exit_status"; "gauge";
         "Exit status of the last pass (0 ok).";
         $all[] | [{source, pass}, .exit]),
       family("sluice_pass_last_run_timestamp_seconds"; "gauge";
         "When the last pass ended.";
         $all[] | [{source, pass}, (.finishedAt | ts)]),
       family("sluice_pass_last_success_timestamp_seconds"; "gauge";
         "When the last pass that exited 0 ended.";
         $all[] | [{source, pass}, (.lastSuccessAt | ts)]),
       family("sluice_objects"; "gauge";
         "Objects of the last applying sync pass, by result.";
         $all[] | select(.pass == "sync") as $s
         | ("created", "configured", "unchanged", "skipped", "failed")
         | [{source: $s.source, result: .}, ($s.counts[.] // 0)]),
       family("sluice_deletions"; "gauge";
         "Objects gc deleted in the last applying sync pass.";
         $all[] | select(.pass == "sync") | [{source}, (.deletedCount // 0)]),
       family("sluice_images_scanned"; "gauge";
         "Image repositories img-scan read in the last automation pass.";
         $all[] | select(.pass == "images") | [{source}, .images]),
       family("sluice_image_updates"; "gauge";
         "Containers img-update moved in the last automation pass.";
         $all[] | select(.pass == "images") | [{source}, (.updates | length)]),
       family("sluice_synced_timestamp_seconds"; "gauge";
         "When the sync tag was last moved.";
         $all[] | select(.pass == "sync") | [{source}, (.syncedAt | ts)]))
