//! Progress bars for long files: drawn on a terminal, silent otherwise (cron, CI, pipes).
use std::io::IsTerminal;
use std::path::Path;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A byte progress bar for reading `path`, hidden unless `wanted` and stderr is a terminal.
pub fn bar(wanted: bool, bytes: u64, path: &Path) -> ProgressBar {
    if !wanted || !std::io::stderr().is_terminal() || bytes < (8 << 20) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(bytes), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    // The file name only: folder names can name people.
    bar.set_message(path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
    bar
}
