package dev.wassette.runtime;

import static dev.wassette.ffi.Wasmtime.*;

import dev.wassette.ffi.wasi_config_set_stdout_custom$callback;
import dev.wassette.ffi.wasmtime_component_func_callback_t;
import dev.wassette.ffi.wasmtime_component_linker_instance_add_func$finalizer;
import dev.wassette.ffi.wasmtime_store_epoch_deadline_callback$func;
import dev.wassette.ffi.wassette_egress_check_t;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The few upcall stubs native code calls back into, created once per JVM. Native code carries an
 * integer id as its {@code void *env}; the id maps to the Java object here. An exception escaping an
 * upcall would kill the JVM, so every stub catches everything and answers through the C API's own
 * failure channel.
 */
final class Upcalls {
    private static final System.Logger LOG = System.getLogger("dev.wassette.runtime");
    private static final ConcurrentHashMap<Long, Object> TARGETS = new ConcurrentHashMap<>();
    private static final AtomicLong NEXT_ID = new AtomicLong(1);

    // One holder class per stub: the JVM spins code for each stub, so each is made the first time
    // something needs it (a process that defines no host function never makes those two).
    private static final class EgressCheckStub {
        static final MemorySegment STUB = wassette_egress_check_t.allocate(Upcalls::egressCheck, global());
    }

    private static final class OutputStub {
        static final MemorySegment STUB = wasi_config_set_stdout_custom$callback.allocate(Upcalls::output, global());
    }

    private static final class HostFunctionStub {
        static final MemorySegment STUB = wasmtime_component_func_callback_t.allocate(Upcalls::hostFunction, global());
    }

    private static final class ReleaseStub {
        static final MemorySegment STUB = wasmtime_component_linker_instance_add_func$finalizer.allocate(Upcalls::release, global());
    }

    private static final class EpochDeadlineStub {
        static final MemorySegment STUB = wasmtime_store_epoch_deadline_callback$func.allocate(Upcalls::epochDeadline, global());
    }

    private Upcalls() {}

    private static Arena global() {
        NativeLibrary.load();
        return Arena.global();
    }

    /** The egress check ({@code wassette_egress_check_t}); env: an {@link EgressCheck}. */
    static MemorySegment egressCheckStub() {
        return EgressCheckStub.STUB;
    }

    /** The stdout/stderr sink; env: a {@link GuestOutput}. */
    static MemorySegment outputStub() {
        return OutputStub.STUB;
    }

    /** A host function's callback; env: a {@link HostFunctions.Binding}. */
    static MemorySegment hostFunctionStub() {
        return HostFunctionStub.STUB;
    }

    /** The finalizer of a host function's env: unregisters it. */
    static MemorySegment releaseStub() {
        return ReleaseStub.STUB;
    }

    /** The epoch-deadline callback; env: a {@link DeadlineWatch}. */
    static MemorySegment epochDeadlineStub() {
        return EpochDeadlineStub.STUB;
    }

    /** Registers a target; the returned segment is the {@code env} to hand to native code. */
    static MemorySegment register(Object target) {
        long id = NEXT_ID.getAndIncrement();
        TARGETS.put(id, target);
        return MemorySegment.ofAddress(id);
    }

    static void unregister(MemorySegment env) {
        TARGETS.remove(env.address());
    }

    private static boolean egressCheck(MemorySegment env, int kind, MemorySegment scheme, long schemeLen,
                                       MemorySegment host, long hostLen, MemorySegment address, long addressLen, short port) {
        try {
            if (!(TARGETS.get(env.address()) instanceof EgressCheck check)) {
                return false;
            }
            EgressCheck.Kind k = EgressCheck.Kind.of(kind);
            return k != null && check.allows(k, utf8(scheme, schemeLen), utf8(host, hostLen), utf8(address, addressLen),
                    Short.toUnsignedInt(port));
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.WARNING, "egress check failed; denying", t);
            return false;
        }
    }

    private static long output(MemorySegment env, MemorySegment bytes, long len) {
        try {
            if (TARGETS.get(env.address()) instanceof GuestOutput sink && len > 0) {
                sink.write(bytes.reinterpret(len).toArray(ValueLayout.JAVA_BYTE));
            }
            return len;
        } catch (Throwable t) {
            return -1;
        }
    }

    private static MemorySegment hostFunction(MemorySegment env, MemorySegment context, MemorySegment funcType,
                                              MemorySegment args, long nargs, MemorySegment results, long nresults) {
        try {
            if (!(TARGETS.get(env.address()) instanceof HostFunctions.Binding binding)) {
                return Errors.hostFunctionFailed("host function is no longer defined");
            }
            return binding.invoke(args, nargs, results, nresults);
        } catch (Throwable t) {
            return Errors.hostFunctionFailed(String.valueOf(t));
        }
    }

    /** At a store's epoch deadline: one more tick, or an error that stops the guest. */
    private static MemorySegment epochDeadline(MemorySegment context, MemorySegment env, MemorySegment delta, MemorySegment kind) {
        try {
            DeadlineWatch.Stop stop = TARGETS.get(env.address()) instanceof DeadlineWatch watch ? watch.stop()
                    : new DeadlineWatch.Stop(WASSETTE_ERROR_CANCELLED(), "call cancelled: the store's deadline watch is gone");
            if (stop != null) {
                return Errors.stop(stop.kind(), stop.message());
            }
            delta.reinterpret(Long.BYTES).set(ValueLayout.JAVA_LONG, 0, 1L);
            kind.reinterpret(1).set(ValueLayout.JAVA_BYTE, 0, (byte) WASMTIME_UPDATE_DEADLINE_CONTINUE());
            return MemorySegment.NULL;
        } catch (Throwable t) {
            return Errors.stop(WASSETTE_ERROR_CANCELLED(), "call cancelled: deadline check failed: " + t);
        }
    }

    private static void release(MemorySegment env) {
        try {
            TARGETS.remove(env.address());
        } catch (Throwable ignored) {
            // nothing sensible to do inside a finalizer
        }
    }

    private static String utf8(MemorySegment ptr, long len) {
        if (len == 0) {
            return "";
        }
        return new String(ptr.reinterpret(len).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }

    /** Number of registered targets (for leak checks in tests). */
    static int liveTargets() {
        return TARGETS.size();
    }
}
