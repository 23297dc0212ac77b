package dev.wassette.source;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * GET requests through the JDK's {@link HttpClient} with the rules every download here follows:
 * redirects are followed by us (at most {@value #MAX_REDIRECTS}), never from HTTPS to plain HTTP
 * and to plain HTTP only for hosts that may be spoken to that way; an {@code Authorization} header
 * goes only to the origin it was meant for; a response must start within the read timeout and its
 * body may pause at most that long; bodies are read within a size cap, never past it.
 */
final class HttpTransfer implements AutoCloseable {
    static final int MAX_REDIRECTS = 10;
    /** How much of an error response is read to explain it. */
    private static final int ERROR_BODY_BYTES = 16 << 10;

    private final HttpClient client;
    private final SourceSettings settings;

    HttpTransfer(SourceSettings settings) throws SourceException {
        this.settings = settings;
        this.client = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER) // each hop is checked here
                .connectTimeout(settings.connectTimeout())
                .sslContext(sslContext(settings.caCertificates()))
                .build();
    }

    SourceSettings settings() {
        return settings;
    }

    /** Ends the client's connections and threads at once (every response has been read or let go by now). */
    @Override
    public void close() {
        client.shutdownNow();
    }

    /** A response whose body has not been read yet; close it to let go of an unread body. */
    static final class Response implements AutoCloseable {
        private final URI uri;
        private final HttpResponse<Flow.Publisher<List<ByteBuffer>>> response;
        private final java.time.Duration idle;
        private boolean consumed;

        Response(URI uri, HttpResponse<Flow.Publisher<List<ByteBuffer>>> response, java.time.Duration idle) {
            this.uri = uri;
            this.response = response;
            this.idle = idle;
        }

        /** Where the response came from (after redirects). */
        URI uri() {
            return uri;
        }

        int status() {
            return response.statusCode();
        }

        HttpHeaders headers() {
            return response.headers();
        }

        String header(String name) {
            return response.headers().firstValue(name).orElse(null);
        }

        /** The declared body length, or -1. */
        long contentLength() {
            return response.headers().firstValueAsLong("Content-Length").orElse(-1);
        }

        /** The media type of the body without parameters, lower-case, or null. */
        String mediaType() {
            String type = header("Content-Type");
            if (type == null) {
                return null;
            }
            int semicolon = type.indexOf(';');
            return (semicolon < 0 ? type : type.substring(0, semicolon)).strip().toLowerCase(Locale.ROOT);
        }

        /** Reads the whole body, refusing one longer than {@code cap} bytes. */
        byte[] readAll(long cap, String what) throws SourceException {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            read(cap, what, (buffer) -> {
                byte[] chunk = new byte[buffer.remaining()];
                buffer.get(chunk);
                out.write(chunk, 0, chunk.length);
            });
            return out.toByteArray();
        }

        /** Up to {@link #ERROR_BODY_BYTES} of the body as text, to explain an error status; never fails. */
        String errorText() {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            try {
                read(Long.MAX_VALUE, "error response", buffer -> {
                    int n = Math.min(buffer.remaining(), ERROR_BODY_BYTES - out.size());
                    byte[] chunk = new byte[n];
                    buffer.get(chunk);
                    out.write(chunk, 0, n);
                    if (out.size() >= ERROR_BODY_BYTES) {
                        throw new Enough();
                    }
                });
            } catch (Enough | SourceException e) {
                // what arrived explains enough
            }
            return out.toString(java.nio.charset.StandardCharsets.UTF_8);
        }

        /** Thrown by a consumer that needs no more of the body. */
        private static final class Enough extends RuntimeException {
            Enough() {
                super(null, null, false, false);
            }
        }

        @FunctionalInterface
        interface Chunks {
            void accept(ByteBuffer buffer) throws SourceException;
        }

        /**
         * Hands the body to {@code chunks} as it arrives. Fails when it is longer than {@code cap},
         * when it pauses longer than the read timeout, or when the connection breaks; the transfer is
         * cancelled then.
         */
        void read(long cap, String what, Chunks chunks) throws SourceException {
            if (consumed) {
                throw new IllegalStateException("body already read");
            }
            consumed = true;
            long declared = contentLength();
            if (declared > cap) {
                discard();
                throw new SourceException(what + " is " + declared + " bytes, over the limit of " + cap + " bytes");
            }
            Object done = new Object();
            BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
            AtomicReference<Flow.Subscription> subscription = new AtomicReference<>();
            AtomicBoolean cancelled = new AtomicBoolean();
            response.body().subscribe(new Flow.Subscriber<>() {
                @Override
                public void onSubscribe(Flow.Subscription s) {
                    subscription.set(s);
                    if (cancelled.get()) {
                        s.cancel();
                    } else {
                        s.request(1);
                    }
                }

                @Override
                public void onNext(List<ByteBuffer> item) {
                    queue.add(item);
                }

                @Override
                public void onError(Throwable t) {
                    queue.add(t);
                }

                @Override
                public void onComplete() {
                    queue.add(done);
                }
            });
            long received = 0;
            boolean finished = false;
            try {
                while (true) {
                    Object item = queue.poll(idle.toMillis(), TimeUnit.MILLISECONDS);
                    if (item == null) {
                        throw new SourceException(what + ": no data from " + uri.getHost() + " for " + idle.toSeconds()
                                + " s after " + received + " bytes; giving up");
                    }
                    if (item == done) {
                        finished = true;
                        break;
                    }
                    if (item instanceof Throwable t) {
                        throw new SourceException(what + ": the transfer from " + uri.getHost() + " broke off after " + received
                                + " bytes (" + describe(t) + ")", t);
                    }
                    @SuppressWarnings("unchecked")
                    List<ByteBuffer> buffers = (List<ByteBuffer>) item;
                    for (ByteBuffer b : buffers) {
                        received += b.remaining();
                        if (received > cap) {
                            throw new SourceException(what + " is over the limit of " + cap + " bytes");
                        }
                        chunks.accept(b);
                    }
                    subscription.get().request(1);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SourceException(what + ": interrupted", e);
            } finally {
                if (!finished) {
                    cancelled.set(true);
                    Flow.Subscription s = subscription.get();
                    if (s != null) {
                        s.cancel();
                    }
                }
            }
            if (declared >= 0 && received != declared) {
                throw new SourceException(what + ": received " + received + " bytes, but " + uri.getHost() + " announced " + declared);
            }
        }

        /** Lets go of the body unread. */
        void discard() {
            consumed = true;
            response.body().subscribe(new Flow.Subscriber<>() {
                @Override
                public void onSubscribe(Flow.Subscription s) {
                    s.cancel();
                }

                @Override
                public void onNext(List<ByteBuffer> item) {}

                @Override
                public void onError(Throwable t) {}

                @Override
                public void onComplete() {}
            });
        }

        @Override
        public void close() {
            if (!consumed) {
                discard();
            }
        }
    }

    /**
     * GETs {@code uri}, following redirects under the rules above. {@code authorization} (or null) is
     * sent to {@code uri}'s origin only, not to where it redirects (blob storage gets its own
     * signed URL). The caller closes the response.
     */
    Response get(URI uri, Map<String, String> headers, String authorization) throws SourceException {
        URI current = uri;
        for (int hop = 0; ; hop++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(current).GET().timeout(settings.readTimeout());
            headers.forEach(request::header);
            if (authorization != null && sameOrigin(uri, current)) {
                request.header("Authorization", authorization);
            }
            HttpResponse<Flow.Publisher<List<ByteBuffer>>> response;
            try {
                response = client.send(request.build(), HttpResponse.BodyHandlers.ofPublisher());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SourceException("interrupted while fetching " + current, e);
            } catch (IOException | RuntimeException e) {
                throw new SourceException(unreachable(current, e), e);
            }
            Response r = new Response(current, response, settings.readTimeout());
            int status = response.statusCode();
            if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308) {
                return r;
            }
            r.discard();
            String location = r.header("Location");
            if (location == null) {
                throw new SourceException(current + " answered " + status + " without a Location to go to");
            }
            if (hop + 1 >= MAX_REDIRECTS) {
                throw new SourceException(uri + ": more than " + MAX_REDIRECTS + " redirects");
            }
            URI next;
            try {
                next = current.resolve(location.strip());
            } catch (IllegalArgumentException e) {
                throw new SourceException(current + " redirected to an invalid location \"" + location + "\"");
            }
            checkRedirect(current, next);
            current = next;
        }
    }

    /** A redirect never goes from HTTPS to plain HTTP, and to plain HTTP only where that is allowed. */
    private void checkRedirect(URI from, URI to) throws SourceException {
        String scheme = to.getScheme() == null ? "" : to.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals("https")) {
            return;
        }
        if (!scheme.equals("http")) {
            throw new SourceException(from + " redirected to " + to + ": only https:// is followed");
        }
        if ("https".equalsIgnoreCase(from.getScheme())) {
            throw new SourceException("refused the redirect from " + from.getHost() + " to plain-HTTP " + to.getHost()
                    + " (" + to + "): a download that started over HTTPS stays on HTTPS");
        }
        if (to.getHost() == null || !settings.allowsPlainHttp(to.getHost(), to.getPort())) {
            throw new SourceException("refused the redirect to plain-HTTP " + to + ": " + to.getHost()
                    + " is neither loopback nor an insecure registry");
        }
    }

    static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && Objects.equals(lower(a.getHost()), lower(b.getHost()))
                && port(a) == port(b);
    }

    private static String lower(String s) {
        return s == null ? null : s.toLowerCase(Locale.ROOT);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    /** Why {@code uri} could not be fetched, in one line. */
    private String unreachable(URI uri, Exception e) {
        String where = uri.getHost() + (uri.getPort() >= 0 ? ":" + uri.getPort() : "");
        if (e instanceof HttpConnectTimeoutException) {
            return "cannot reach " + where + ": no connection within " + settings.connectTimeout().toSeconds() + " s";
        }
        if (e instanceof HttpTimeoutException) {
            return "no response from " + where + " within " + settings.readTimeout().toSeconds() + " s (" + uri + ")";
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (e instanceof SSLException || root instanceof SSLException || root instanceof java.security.cert.CertificateException) {
            return "TLS with " + where + " failed: " + describe(root)
                    + " (if it uses a private CA, trust it with ca_certificates / WASSETTE_CA_CERTIFICATES)";
        }
        if (root instanceof java.net.UnknownHostException || root instanceof UnresolvedAddressException) {
            return "cannot reach " + where + ": unknown host";
        }
        if (root instanceof ConnectException || e instanceof ConnectException) {
            return "cannot reach " + where + ": connection refused";
        }
        return "cannot fetch " + uri + ": " + describe(e);
    }

    static String describe(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }

    /** The JVM's trusted CAs, plus those in {@code pemFile} when given. */
    private static SSLContext sslContext(Path pemFile) throws SourceException {
        try {
            if (pemFile == null) {
                return SSLContext.getDefault();
            }
            TrustManagerFactory jvm = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            jvm.init((KeyStore) null);
            KeyStore anchors = KeyStore.getInstance(KeyStore.getDefaultType());
            anchors.load(null, null);
            int n = 0;
            for (TrustManager tm : jvm.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    for (X509Certificate c : x.getAcceptedIssuers()) {
                        anchors.setCertificateEntry("jvm-" + n++, c);
                    }
                }
            }
            int added = 0;
            try (InputStream in = Files.newInputStream(pemFile)) {
                for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    anchors.setCertificateEntry("extra-" + added++, c);
                }
            }
            if (added == 0) {
                throw new SourceException("no certificate in " + pemFile + " (expected PEM: -----BEGIN CERTIFICATE-----)");
            }
            TrustManagerFactory combined = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            combined.init(anchors);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, combined.getTrustManagers(), null);
            return context;
        } catch (IOException e) {
            throw new SourceException("cannot read the CA certificates " + pemFile + ": " + describe(e), e);
        } catch (GeneralSecurityException e) {
            throw new SourceException("invalid CA certificates in " + pemFile + ": " + describe(e), e);
        }
    }
}
