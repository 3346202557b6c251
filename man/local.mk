# man pages: one line per page
man8_MANS += man/berth.8 man/berth-spec.8 man/berth-features.8 man/berth-state.8 man/berth-list.8
man8_MANS += man/berth-create.8 man/berth-start.8 man/berth-run.8 man/berth-kill.8 man/berth-delete.8
man5_MANS += man/berth-config.5
man8_MANS += man/berth-exec.8
man8_MANS += man/berth-pause.8 man/berth-resume.8 man/berth-update.8 man/berth-ps.8 man/berth-events.8
man8_MANS += man/berth-storage.8
man8_MANS += man/berth-sandbox.8
man8_MANS += man/berth-checkpoint.8 man/berth-restore.8
