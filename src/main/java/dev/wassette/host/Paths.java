package dev.wassette.host;

import java.nio.file.Path;

/** XDG base directories, as Wassette uses them. */
public final class Paths {
    private Paths() {}

    /** {@code $XDG_DATA_HOME/wassette/components} (default {@code ~/.local/share/wassette/components}). */
    public static Path componentDirectory() {
        return xdg("XDG_DATA_HOME", ".local/share").resolve("wassette").resolve("components");
    }

    /** {@code $XDG_CONFIG_HOME/wassette/secrets} (default {@code ~/.config/wassette/secrets}). */
    public static Path secretsDirectory() {
        return configDirectory().resolve("secrets");
    }

    /** {@code $XDG_CONFIG_HOME/wassette}. */
    public static Path configDirectory() {
        return xdg("XDG_CONFIG_HOME", ".config").resolve("wassette");
    }

    /** {@code $XDG_CACHE_HOME/wassette} (default {@code ~/.cache/wassette}): compiled code, pulled blobs. */
    public static Path cacheDirectory() {
        return xdg("XDG_CACHE_HOME", ".cache").resolve("wassette");
    }

    /** The content-addressed cache of pulled components, manifests and policy layers. */
    public static Path blobCacheDirectory() {
        return cacheDirectory().resolve("blobs");
    }

    private static Path xdg(String variable, String fallback) {
        String value = System.getenv(variable);
        if (value != null && !value.isBlank() && Path.of(value).isAbsolute()) {
            return Path.of(value);
        }
        return Path.of(System.getProperty("user.home")).resolve(fallback);
    }
}
