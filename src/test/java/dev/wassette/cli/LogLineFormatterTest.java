package dev.wassette.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/** The log line's time, formatted once a second and completed with the milliseconds, is what the JDK's formatter writes. */
class LogLineFormatterTest {
    private static final DateTimeFormatter REFERENCE = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS").withZone(ZoneId.systemDefault());

    @Test
    void timesAreTheJdkFormattersWithinASecondAndAcrossSeconds() {
        LogLineFormatter formatter = new LogLineFormatter();
        Instant base = Instant.parse("2026-03-29T00:59:59Z"); // a daylight-saving change in some zones
        List<Instant> times = new java.util.ArrayList<>(List.of(base, base.plusMillis(1), base.plusMillis(9), base.plusMillis(10),
                base.plusMillis(99), base.plusMillis(100), base.plusMillis(999), base.plusMillis(1000), base.plusNanos(1_999_999_999L),
                base.minusSeconds(86_400 * 180), Instant.EPOCH, base.plusMillis(5)));
        for (int i = 0; i < 1000; i++) {
            times.add(Instant.ofEpochSecond(ThreadLocalRandom.current().nextLong(0, 4_102_444_800L), ThreadLocalRandom.current().nextInt(1_000_000_000)));
        }
        for (Instant t : times) {
            StringBuilder line = new StringBuilder();
            formatter.appendTime(t, line);
            assertEquals(REFERENCE.format(t), line.toString(), t.toString());
        }
    }
}
