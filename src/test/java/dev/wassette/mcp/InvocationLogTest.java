package dev.wassette.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class InvocationLogTest {
    @Test
    void secretsAreRedactedAndLongStringsCut() throws Exception {
        ObjectMapper json = new ObjectMapper();
        String long200 = "x".repeat(200);
        var args = json.readTree("{\"user\":\"ada\",\"password\":\"p\",\"apiKey\":\"k\",\"nested\":{\"access_token\":\"t\",\"note\":\"" + long200 + "\"},"
                + "\"list\":[{\"client_secret\":\"s\"}]}");
        assertEquals("{\"user\":\"ada\",\"password\":\"[REDACTED]\",\"apiKey\":\"[REDACTED]\",\"nested\":{\"access_token\":\"[REDACTED]\",\"note\":\""
                + "x".repeat(120) + "…(200 chars)\"},\"list\":[{\"client_secret\":\"[REDACTED]\"}]}", InvocationLog.redact(args).toString());
    }
}
