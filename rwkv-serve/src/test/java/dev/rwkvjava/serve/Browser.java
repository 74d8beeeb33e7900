package dev.rwkvjava.serve;

import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The system's headless Chromium (Debian's {@code chromium} and {@code chromium-driver} packages), driven through its
 * own chromedriver: Selenium is never allowed to look for or download a driver or a browser. Without them a browser
 * test is skipped, except under {@code CI=true}, where it fails ({@code .ci/run} installs them).
 */
final class Browser {
    static final Path CHROMIUM = Path.of(System.getProperty("rwkv.chromium", "/usr/bin/chromium"));
    static final Path CHROMEDRIVER = Path.of(System.getProperty("rwkv.chromedriver", "/usr/bin/chromedriver"));

    private Browser() {
    }

    /** A new headless browser with a fresh profile in {@code profile}; downloads go to {@code downloads}. */
    static ChromeDriver start(Path profile, Path downloads) {
        for (Path p : new Path[]{CHROMIUM, CHROMEDRIVER}) {
            if (!Files.isExecutable(p)) {
                String msg = p + " is missing: install the packages chromium and chromium-driver";
                if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                    throw new AssertionError(msg + " (required on CI)");
                }
                Assumptions.abort(msg);
            }
        }
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM.toFile());
        o.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-extensions", "--disable-dev-shm-usage", "--user-data-dir=" + profile.toAbsolutePath(),
                "--window-size=1200,860", "--lang=en-US");
        o.setExperimentalOption("prefs", Map.of(
                "download.default_directory", downloads.toAbsolutePath().toString(),
                "download.prompt_for_download", false,
                "download.directory_upgrade", true));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .withTimeout(Duration.ofSeconds(60))
                .build();
        ChromeDriver driver = new ChromeDriver(service, o);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30)).pageLoadTimeout(Duration.ofSeconds(30));
        return driver;
    }
}
