//! A libuv poll handle on Node's own event loop: when a socket turns readable,
//! a JavaScript function runs, on the JavaScript thread, as any I/O callback
//! does (`napi_make_callback`: its microtasks and nextTicks run after it, an
//! exception it throws is an uncaught exception). N-API has no poll handle, but
//! it gives the loop (`napi_get_uv_event_loop`), and Node exports libuv's
//! symbols to addons; the handle's size comes from libuv at run time.
//!
//! libuv says a socket may have one poll handle; Node's own handle for this
//! socket has stopped reading (lib/udp.js), and ours polls a duplicate descriptor.

use std::ffi::{c_int, c_void};
use std::ptr;

use napi::sys;

const UV_POLL: c_int = 8; // uv_handle_type
const UV_READABLE: c_int = 1;

/// libuv's functions, looked up in the process (Node exports them) when first
/// needed rather than linked: the crate's test and bench binaries, which never
/// poll, then link without them.
type HandleSize = unsafe extern "C" fn(c_int) -> usize;
type PollInit = unsafe extern "C" fn(*mut sys::uv_loop_s, *mut c_void, c_int) -> c_int;
type PollStart = unsafe extern "C" fn(*mut c_void, c_int, extern "C" fn(*mut c_void, c_int, c_int)) -> c_int;
type HandleOp = unsafe extern "C" fn(*mut c_void) -> c_int;
type Close = unsafe extern "C" fn(*mut c_void, extern "C" fn(*mut c_void));
type HandleFlag = unsafe extern "C" fn(*mut c_void);

struct Uv {
    handle_size: HandleSize,
    poll_init: PollInit,
    poll_start: PollStart,
    poll_stop: HandleOp,
    close: Close,
    ref_: HandleFlag,
    unref: HandleFlag,
}

fn uv() -> napi::Result<&'static Uv> {
    static UV: std::sync::OnceLock<Option<Uv>> = std::sync::OnceLock::new();
    UV.get_or_init(|| {
        let sym = |name: &std::ffi::CStr| {
            // SAFETY: a symbol lookup in the running process.
            let p = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
            (!p.is_null()).then_some(p)
        };
        // SAFETY: each symbol is libuv's function of that name, with the signature declared for it.
        unsafe {
            Some(Uv {
                handle_size: std::mem::transmute::<*mut c_void, HandleSize>(sym(c"uv_handle_size")?),
                poll_init: std::mem::transmute::<*mut c_void, PollInit>(sym(c"uv_poll_init")?),
                poll_start: std::mem::transmute::<*mut c_void, PollStart>(sym(c"uv_poll_start")?),
                poll_stop: std::mem::transmute::<*mut c_void, HandleOp>(sym(c"uv_poll_stop")?),
                close: std::mem::transmute::<*mut c_void, Close>(sym(c"uv_close")?),
                ref_: std::mem::transmute::<*mut c_void, HandleFlag>(sym(c"uv_ref")?),
                unref: std::mem::transmute::<*mut c_void, HandleFlag>(sym(c"uv_unref")?),
            })
        }
    })
    .as_ref()
    .ok_or_else(|| napi::Error::from_reason("libuv's functions are not in this process"))
}

/// What the callback needs; the handle's `data` (its first field, by libuv's API) points here.
struct Ctx {
    env: sys::napi_env,
    func: sys::napi_ref,
    resource: sys::napi_ref,
    async_ctx: sys::napi_async_context,
}

/// Calls a JavaScript function each time a descriptor is readable, until `close`.
pub struct Poll {
    handle: *mut c_void,
}

fn check(status: sys::napi_status, what: &str) -> napi::Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::from_reason(format!("{what} failed ({status})")))
    }
}

impl Poll {
    /// # Safety
    /// `env` and `func` are the current call's; `fd` stays open until `close`.
    pub unsafe fn start(env: sys::napi_env, func: sys::napi_value, fd: c_int) -> napi::Result<Poll> {
        let uv = uv()?;
        let mut lp = ptr::null_mut();
        check(sys::napi_get_uv_event_loop(env, &mut lp), "napi_get_uv_event_loop")?;
        let mut ctx = Box::new(Ctx { env, func: ptr::null_mut(), resource: ptr::null_mut(), async_ctx: ptr::null_mut() });
        let mut resource = ptr::null_mut();
        check(sys::napi_create_object(env, &mut resource), "napi_create_object")?;
        let mut name = ptr::null_mut();
        check(sys::napi_create_string_utf8(env, c"sctp-native:udp".as_ptr(), 15, &mut name), "napi_create_string_utf8")?;
        check(sys::napi_async_init(env, resource, name, &mut ctx.async_ctx), "napi_async_init")?;
        check(sys::napi_create_reference(env, resource, 1, &mut ctx.resource), "napi_create_reference")?;
        check(sys::napi_create_reference(env, func, 1, &mut ctx.func), "napi_create_reference")?;
        let handle = libc::calloc(1, (uv.handle_size)(UV_POLL));
        let rc = (uv.poll_init)(lp.cast(), handle, fd);
        if rc != 0 {
            libc::free(handle);
            release(&ctx);
            return Err(napi::Error::from_reason(format!("uv_poll_init failed ({rc})")));
        }
        *(handle as *mut *mut Ctx) = Box::into_raw(ctx);
        (uv.poll_start)(handle, UV_READABLE, on_readable);
        Ok(Poll { handle })
    }

    /// Whether the open handle keeps the process running (it does by default, as a socket does).
    pub fn set_ref(&self, on: bool) {
        let Ok(uv) = uv() else { return };
        if self.handle.is_null() {
            return;
        }
        // SAFETY: a live handle on this thread's loop.
        unsafe {
            if on {
                (uv.ref_)(self.handle)
            } else {
                (uv.unref)(self.handle)
            }
        }
    }

    /// Stops calling; the handle and references are freed once libuv has closed it.
    pub fn close(&mut self) {
        let Ok(uv) = uv() else { return };
        if self.handle.is_null() {
            return;
        }
        // SAFETY: a live handle on this thread's loop, closed once.
        unsafe {
            (uv.poll_stop)(self.handle);
            (uv.close)(self.handle, on_closed);
        }
        self.handle = ptr::null_mut();
    }
}

impl Drop for Poll {
    fn drop(&mut self) {
        self.close();
    }
}

unsafe fn release(ctx: &Ctx) {
    if !ctx.func.is_null() {
        sys::napi_delete_reference(ctx.env, ctx.func);
    }
    if !ctx.resource.is_null() {
        sys::napi_delete_reference(ctx.env, ctx.resource);
    }
    if !ctx.async_ctx.is_null() {
        sys::napi_async_destroy(ctx.env, ctx.async_ctx);
    }
}

extern "C" fn on_closed(handle: *mut c_void) {
    // SAFETY: `data` was set in `start` and is taken here once; the handle was calloc'ed there.
    unsafe {
        let ctx = *(handle as *mut *mut Ctx);
        if !ctx.is_null() {
            release(&Box::from_raw(ctx));
        }
        libc::free(handle);
    }
}

extern "C" fn on_readable(handle: *mut c_void, _status: c_int, _events: c_int) {
    // SAFETY: called by libuv on the loop's thread, the JavaScript thread, with the handle `start` made.
    unsafe {
        let ctx = &*(*(handle as *mut *mut Ctx));
        let env = ctx.env;
        let mut scope = ptr::null_mut();
        if sys::napi_open_handle_scope(env, &mut scope) != sys::Status::napi_ok {
            return;
        }
        let (mut func, mut recv, mut result) = (ptr::null_mut(), ptr::null_mut(), ptr::null_mut());
        sys::napi_get_reference_value(env, ctx.func, &mut func);
        sys::napi_get_reference_value(env, ctx.resource, &mut recv);
        let status = sys::napi_make_callback(env, ctx.async_ctx, recv, func, 0, ptr::null(), &mut result);
        if status == sys::Status::napi_pending_exception {
            // As an exception in any I/O callback: 'uncaughtException', or the process ends.
            let mut err = ptr::null_mut();
            sys::napi_get_and_clear_last_exception(env, &mut err);
            sys::napi_fatal_exception(env, err);
        }
        sys::napi_close_handle_scope(env, scope);
    }
}
