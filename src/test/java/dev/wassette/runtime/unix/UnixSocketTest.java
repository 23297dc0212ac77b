package dev.wassette.runtime.unix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's socket and the descriptors its sessions are served on: descriptors passed with
 * {@code SCM_RIGHTS} arrive and are closed exactly once, reads and writes work whatever the
 * client set on the file ({@code O_NONBLOCK}), a reader that is gone is an exception and not
 * SIGPIPE, and the connection's end stops a waiting read. Every wait is bounded.
 */
class UnixSocketTest {
    private static final long BOUND_SECONDS = 30;

    @TempDir
    Path dir;

    @Test
    void descriptorsSentWithAByteArriveAsThisProcesssOwnAndTheSenderIsThisUser() throws Throwable {
        long openBefore = NativeDescriptors.openCount();
        try (UnixSocketServer server = UnixSocketServer.bind(dir.resolve("s.sock"))) {
            OwnedFileDescriptor client = NativeDescriptors.connect(dir.resolve("s.sock"));
            try (UnixConnection connection = server.accept()) {
                assertEquals((int) Files.getAttribute(dir.resolve("s.sock"), "unix:uid"), connection.peerUid());

                OwnedFileDescriptor[] stdin = NativeDescriptors.pipe();
                OwnedFileDescriptor[] stdout = NativeDescriptors.socketPair();
                NativeDescriptors.sendWithDescriptors(client, stdin[0], stdout[1]);
                List<OwnedFileDescriptor> received = connection.receiveFileDescriptors(3);
                assertEquals(2, received.size());
                assertEquals(NativeDescriptors.target(stdin[0].number()), NativeDescriptors.target(received.get(0).number()));
                assertNotEquals(stdin[0].number(), received.get(0).number(), "a descriptor of its own");
                // The sender closes its copies: the received ones keep the files open.
                stdin[0].close();
                stdout[1].close();

                try (OutputStream requests = stdin[1].outputStream(null); InputStream answers = stdout[0].inputStream(null)) {
                    InputStream in = received.get(0).inputStream(connection.descriptor());
                    OutputStream out = received.get(1).outputStream(connection.descriptor());
                    requests.write("ping\n".getBytes(StandardCharsets.UTF_8));
                    byte[] request = new byte[5];
                    assertEquals(5, in.readNBytes(request, 0, 5));
                    out.write("pong\n".getBytes(StandardCharsets.UTF_8));
                    assertEquals("pong\n", new String(answers.readNBytes(5), StandardCharsets.UTF_8));
                    in.close();
                    out.close();
                }
                received.forEach(OwnedFileDescriptor::close); // again: a no-op
            }
            client.close();
        }
        assertEquals(openBefore, NativeDescriptors.openCount(), "every descriptor is closed");
    }

    @Test
    void aSetOfDescriptorsThatDoesNotFitArrivesAsNoneAndNothingLeaks() throws Throwable {
        long openBefore = NativeDescriptors.openCount();
        try (UnixSocketServer server = UnixSocketServer.bind(dir.resolve("s.sock"))) {
            OwnedFileDescriptor client = NativeDescriptors.connect(dir.resolve("s.sock"));
            try (UnixConnection connection = server.accept()) {
                OwnedFileDescriptor[] a = NativeDescriptors.pipe();
                OwnedFileDescriptor[] b = NativeDescriptors.pipe();
                NativeDescriptors.sendWithDescriptors(client, a[0], a[1], b[0], b[1]);
                assertEquals(List.of(), connection.receiveFileDescriptors(3), "4 sent, room for 3: truncated, none kept");
                OwnedFileDescriptor[] c = NativeDescriptors.pipe();
                NativeDescriptors.sendWithDescriptors(client, a[0], a[1], b[0], b[1], c[0], c[1]);
                assertEquals(List.of(), connection.receiveFileDescriptors(3), "6 sent: the kernel truncated the set, none kept");
                for (OwnedFileDescriptor fd : List.of(a[0], a[1], b[0], b[1], c[0], c[1])) {
                    fd.close();
                }
                // A byte without descriptors, and a closed connection, give none either.
                client.outputStream(null).write('S');
                assertEquals(List.of(), connection.receiveFileDescriptors(3));
                client.close();
                assertEquals(List.of(), connection.receiveFileDescriptors(3));
            }
        }
        assertEquals(openBefore, NativeDescriptors.openCount(), "every descriptor is closed");
    }

    @Test
    void readsWaitForDataOnADescriptorTheClientMadeNonBlocking() throws Throwable {
        OwnedFileDescriptor[] pipe = NativeDescriptors.pipe();
        NativeDescriptors.setNonBlocking(pipe[0]); // the read end: EAGAIN instead of waiting, unless we poll
        try (InputStream in = pipe[0].inputStream(null); OutputStream out = pipe[1].outputStream(null)) {
            CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> {
                try {
                    return in.readNBytes(6);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Thread.sleep(100); // the reader is waiting (there is nothing to read): no EAGAIN may escape
            assertTrue(!read.isDone(), "the read waits");
            out.write("abc".getBytes(StandardCharsets.UTF_8));
            Thread.sleep(50);
            out.write("def".getBytes(StandardCharsets.UTF_8));
            assertEquals("abcdef", new String(read.get(BOUND_SECONDS, TimeUnit.SECONDS), StandardCharsets.UTF_8));
            out.close();
            assertEquals(-1, in.read(), "end of file once the writer is closed");
        }
    }

    @Test
    void aWriteLargerThanTheBufferToANonBlockingDescriptorIsWrittenWholeInPieces() throws Throwable {
        OwnedFileDescriptor[] pipe = NativeDescriptors.pipe();
        NativeDescriptors.setPipeSize(pipe[1], 4096);
        NativeDescriptors.setNonBlocking(pipe[1]); // partial writes, then EAGAIN until the reader reads
        byte[] message = new byte[1 << 20];
        new Random(7).nextBytes(message);
        try (InputStream in = pipe[0].inputStream(null); OutputStream out = pipe[1].outputStream(null)) {
            CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> {
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                byte[] chunk = new byte[1000]; // slower than the writer: it keeps finding the pipe full
                try {
                    for (int n; all.size() < message.length && (n = in.read(chunk)) > 0; ) {
                        all.write(chunk, 0, n);
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                return all.toByteArray();
            });
            out.write(message);
            assertArrayEquals(message, read.get(BOUND_SECONDS, TimeUnit.SECONDS));
        }
    }

    @Test
    void writingToAReaderThatIsGoneIsAnExceptionNotSigpipe() throws Throwable {
        OwnedFileDescriptor[] pipe = NativeDescriptors.pipe();
        pipe[0].close();
        try (OutputStream out = pipe[1].outputStream(null)) {
            IOException e = assertThrows(IOException.class, () -> out.write("lost\n".getBytes(StandardCharsets.UTF_8)));
            assertTrue(e.getMessage().contains("broken pipe"), e.getMessage());
        }
        OwnedFileDescriptor[] socket = NativeDescriptors.socketPair();
        socket[0].close();
        try (OutputStream out = socket[1].outputStream(null)) {
            assertThrows(IOException.class, () -> out.write("lost\n".getBytes(StandardCharsets.UTF_8)));
        }
        // Still here: the process survived both.
    }

    @Test
    void theEndDescriptorBecomingReadableEndsAWaitingReadAndClosingWaitsForIt() throws Throwable {
        OwnedFileDescriptor[] stdin = NativeDescriptors.pipe();
        OwnedFileDescriptor[] shim = NativeDescriptors.socketPair();
        int number = stdin[0].number();
        String file = NativeDescriptors.target(number);
        InputStream in = stdin[0].inputStream(shim[0]);
        CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> {
            try {
                return in.read();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Thread.sleep(100);
        assertTrue(!read.isDone(), "the read waits: the client has sent nothing");

        stdin[0].close(); // while the read waits: the number must stay this pipe's until it returns
        assertEquals(file, NativeDescriptors.target(number), "not closed under the waiting read");
        shim[1].close(); // the other side hangs up
        assertEquals(-1, read.get(BOUND_SECONDS, TimeUnit.SECONDS), "end of input");
        assertNotEquals(file, NativeDescriptors.target(number), "closed once the read returned");
        assertEquals(-1, in.read(), "still the end");
        stdin[1].close();
        shim[0].close();
    }

    @Test
    void theMemoryOfCallsIsGivenBackZeroedWhenTheDescriptorIsClosedAndNotBefore() throws Throwable {
        long size = 88; // a size no other test asks for: this test sees the pool's buffers of it alone
        OwnedFileDescriptor[] pipe = NativeDescriptors.pipe();
        java.lang.foreign.MemorySegment buffer = pipe[0].allocate(size);
        buffer.fill((byte) 7); // what a call read
        pipe[0].acquire(); // a call in progress
        pipe[0].close();
        OwnedFileDescriptor[] next = NativeDescriptors.pipe();
        java.lang.foreign.MemorySegment other = next[0].allocate(size);
        assertNotEquals(buffer.address(), other.address(), "not handed on while the call may still use it");
        assertEquals(7, buffer.get(java.lang.foreign.ValueLayout.JAVA_BYTE, size - 1), "untouched while in use");
        pipe[0].release();
        assertEquals(0, buffer.get(java.lang.foreign.ValueLayout.JAVA_BYTE, size - 1), "zeroed as it is given back");
        OwnedFileDescriptor[] third = NativeDescriptors.pipe();
        assertEquals(buffer.address(), third[0].allocate(size).address(), "reused by the next descriptor, not made again");
        assertEquals(2, NativeBuffers.made(size));
        for (OwnedFileDescriptor d : new OwnedFileDescriptor[] {pipe[1], next[0], next[1], third[0], third[1]}) {
            d.close();
        }
    }

    @Test
    void pastThePoolsBoundADescriptorsMemoryIsAnArenaOfItsOwnFreedWithIt() throws Throwable {
        long size = 104; // as above: this test's own size
        List<java.lang.foreign.MemorySegment> taken = new java.util.ArrayList<>();
        for (int i = 0; i < NativeBuffers.KEPT_PER_SIZE; i++) {
            taken.add(NativeBuffers.take(size));
        }
        assertNull(NativeBuffers.take(size), "no more buffers of this size are made");
        OwnedFileDescriptor[] pipe = NativeDescriptors.pipe();
        java.lang.foreign.MemorySegment buffer = pipe[0].allocate(size);
        pipe[0].acquire();
        pipe[0].close();
        assertTrue(buffer.scope().isAlive(), "still in use by the call");
        pipe[0].release();
        assertTrue(!buffer.scope().isAlive(), "freed with the descriptor, without waiting for the garbage collector");
        pipe[1].close();
        taken.forEach(NativeBuffers::give);
        assertNotNull(NativeBuffers.take(size), "buffers given back are taken again");
        assertEquals(NativeBuffers.KEPT_PER_SIZE, NativeBuffers.made(size));
    }

    @Test
    void closingTheServerWakesAWaitingAccept() throws Throwable {
        long openBefore = NativeDescriptors.openCount();
        UnixSocketServer server = UnixSocketServer.bind(dir.resolve("s.sock"));
        CompletableFuture<UnixConnection> accepted = CompletableFuture.supplyAsync(() -> {
            try {
                return server.accept();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Thread.sleep(100);
        assertTrue(!accepted.isDone(), "accept waits");
        server.close();
        assertNull(accepted.get(BOUND_SECONDS, TimeUnit.SECONDS));
        assertNull(server.accept(), "and returns null from then on");
        assertNotNull(Files.getAttribute(dir.resolve("s.sock"), "unix:ino"), "the file stays: its owner removes it");
        assertEquals(openBefore, NativeDescriptors.openCount());
    }

    @Test
    void aPathTooLongForASocketIsRefused() {
        Path tooLong = dir.resolve("x".repeat(120));
        IOException e = assertThrows(IOException.class, () -> UnixSocketServer.bind(tooLong));
        assertTrue(e.getMessage().contains("longer than Unix sockets allow"), e.getMessage());
    }
}
