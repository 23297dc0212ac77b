package dev.wassette.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.Test;

class LogMessagesTest {
    private static final SimpleFormatter REFERENCE = new SimpleFormatter();

    /** Every message reads exactly as java.util.logging's own formatting makes it. */
    @Test
    void messagesReadAsFormatterFormatMessageMakesThem() {
        Object[][] cases = {
            {"daemon: session {0} opened in {1} ({2})", new Object[] {"12", Path.of("/work/x"), "its stdio passed to the daemon"}},
            {"daemon: session {0} ended", new Object[] {"1234567"}},
            {"numbers go to MessageFormat: {0} and {1}", new Object[] {1234567L, 3.5}},
            {"a date: {0}", new Object[] {new java.util.Date(0)}},
            {"a null: {0}", new Object[] {null}},
            {"no placeholder", new Object[] {"unused"}},
            {"only a high one {4}", new Object[] {"a", "b", "c", "d", "e"}},
            {"{1} before {0}, then {0} again", new Object[] {"zero", "one"}},
            {"past the end: {0} {3}", new Object[] {"only one"}},
            {"a quote: it''s {0}", new Object[] {"x"}},
            {"a typed one: {0,number,#}", new Object[] {"7"}},
            {"a brace {x} and {0}", new Object[] {"y"}},
            {"at the end {0}", new Object[] {"z"}},
            {"{0}", new Object[] {"only"}},
            {"an open brace at the end {0} {", new Object[] {"w"}},
            {"no parameters {0}", new Object[0]},
            {"null parameters {0}", null},
        };
        for (Object[] c : cases) {
            LogRecord record = new LogRecord(Level.INFO, (String) c[0]);
            record.setParameters((Object[]) c[1]);
            assertEquals(REFERENCE.formatMessage(record), LogMessages.text(REFERENCE, record), (String) c[0]);
        }
    }
}
