package dev.wassette.runtime;

/**
 * Tells from the first bytes what a would-be component is, so that a file that is not one gets an
 * error saying what it is not, instead of the component-text parser's complaint about its first byte
 * (Wasmtime parses anything without the wasm magic number as text).
 */
final class WasmInput {
    private WasmInput() {}

    static final String NOT_WASM = "not a WebAssembly component: no wasm magic number (\\0asm) at its start, "
            + "and not component text (which starts with \"(component\")";
    static final String CORE_MODULE = "input is a core WebAssembly module, not a component "
            + "(make it one with `wasm-tools component new`)";
    static final String CORE_MODULE_TEXT = "input is core WebAssembly module text (\"(module\"), not a component "
            + "(component text starts with \"(component\")";

    /** What is wrong with {@code bytes} before compiling, or null when they may be a component (binary or text). */
    static String problem(byte[] bytes) {
        if (bytes.length >= 4 && bytes[0] == 0 && bytes[1] == 'a' && bytes[2] == 's' && bytes[3] == 'm') {
            if (bytes.length < 8) {
                return "truncated WebAssembly: " + bytes.length + " bytes, shorter than the 8-byte header";
            }
            // After the magic: a 16-bit version and a 16-bit layer, little-endian; layer 0 is a core
            // module (version 1), layer 1 a component.
            int layer = (bytes[6] & 0xff) | (bytes[7] & 0xff) << 8;
            return layer == 0 ? CORE_MODULE : null;
        }
        if (startsWithBom(bytes)) {
            return null; // text; the parser rejects the mark and says where
        }
        int i = skipBlank(bytes, 0);
        if (i < 0) {
            return null; // an unclosed "(;" comment: text, broken; the parser says where
        }
        if (i >= bytes.length || bytes[i] != '(') {
            return NOT_WASM;
        }
        int k = skipBlank(bytes, i + 1);
        if (k >= 0 && startsWithWord(bytes, k, "module")) {
            return CORE_MODULE_TEXT;
        }
        return null;
    }

    private static boolean startsWithBom(byte[] b) {
        return b.length >= 3 && (b[0] & 0xff) == 0xef && (b[1] & 0xff) == 0xbb && (b[2] & 0xff) == 0xbf;
    }

    /** Index after whitespace and WAT comments ({@code ;; line}, {@code (; block ;)}, nested); -1 if a block comment is unclosed. */
    private static int skipBlank(byte[] b, int i) {
        while (i < b.length) {
            byte c = b[i];
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                i++;
            } else if (c == ';' && i + 1 < b.length && b[i + 1] == ';') {
                while (i < b.length && b[i] != '\n') {
                    i++;
                }
            } else if (c == '(' && i + 1 < b.length && b[i + 1] == ';') {
                int depth = 1;
                i += 2;
                while (depth > 0) {
                    if (i + 1 >= b.length) {
                        return -1;
                    }
                    if (b[i] == '(' && b[i + 1] == ';') {
                        depth++;
                        i += 2;
                    } else if (b[i] == ';' && b[i + 1] == ')') {
                        depth--;
                        i += 2;
                    } else {
                        i++;
                    }
                }
            } else {
                return i;
            }
        }
        return i;
    }

    private static boolean startsWithWord(byte[] b, int i, String word) {
        if (i + word.length() > b.length) {
            return false;
        }
        for (int j = 0; j < word.length(); j++) {
            if (b[i + j] != word.charAt(j)) {
                return false;
            }
        }
        int end = i + word.length();
        // "(module" must end there: "(modules" or "(module-x" is no core module keyword.
        return end == b.length || " \t\r\n();$".indexOf(b[end]) >= 0;
    }
}
