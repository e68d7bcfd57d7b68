//! A PNG preview of a written report, taken by headless Chromium (Debian's
//! `chromium`), so the committed report and its preview come from one command.

use std::path::{Path, PathBuf};
use std::process::Command;

const BROWSERS: &[&str] = &["chromium", "chromium-browser", "google-chrome"];

fn find_browser() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).flat_map(|dir| BROWSERS.iter().map(move |b| dir.join(b))).find(|p| p.is_file())
}

/// Renders `html` at `width`×`height` CSS pixels into `png` (the top of the page).
pub fn screenshot(html: &Path, png: &Path, width: u32, height: u32) -> Result<(), String> {
    let browser =
        find_browser().ok_or("chromium not found on PATH: install it (apt-get install chromium) to write a preview")?;
    let page = html.canonicalize().map_err(|e| format!("{}: {e}", html.display()))?;
    let target = std::path::absolute(png).map_err(|e| format!("{}: {e}", png.display()))?;
    // A stale preview must not pass for a new one.
    let _ = std::fs::remove_file(&target);
    // A throwaway profile: the user's own browser profile is never touched.
    let profile = std::env::temp_dir().join(format!("ffn-report-chromium-{}", std::process::id()));
    let out = Command::new(&browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
        .args(["--disable-component-update", "--disable-sync", "--hide-scrollbars"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--window-size={width},{height}"))
        .arg(format!("--screenshot={}", target.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .map_err(|e| format!("cannot run {}: {e}", browser.display()));
    let _ = std::fs::remove_dir_all(&profile);
    let out = out?;
    if !out.status.success() || !target.is_file() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no output");
        return Err(format!("{} could not take the screenshot: {last}", browser.display()));
    }
    Ok(())
}
