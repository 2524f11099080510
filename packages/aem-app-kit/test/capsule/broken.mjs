// A task module that throws while it loads.
throw new Error('broken at top level');
