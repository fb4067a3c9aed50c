/* rd_writer.c - the single writer thread and its group commit.
 *
 * Request threads put a job on the queue and sleep on a condition variable. The writer
 * takes everything queued (up to batch_max), runs it in one transaction (each report in its
 * own savepoint, so one bad report does not spoil the others), commits (WAL fsync) and only
 * then wakes the submitters. So an acknowledgement always follows the fsync, and one fsync
 * covers as many reports as arrived while the previous commit was running: the busier the
 * daemon, the larger the groups. When the previous group had company (two reports or more),
 * the writer gives stragglers up to GATHER_WAIT seconds to join before it begins (PostgreSQL's
 * commit_delay with commit_siblings): the commit, its WAL page writes and its fsync are the
 * larger part of the writer's work, so fewer and fuller groups mean more reports per second
 * for at most that much more latency, and a lone client never waits. Each submitter sleeps
 * on its own condition variable and is woken alone when its group is committed (a shared
 * one woke every waiting request thread on every commit to find that its job was not done).
 * While idle it also
 * runs the retention sweep of raw originals (storage.raw_retention), a chunk at a time so
 * reports never wait long. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "repute/alloc.h"
#include "repute/log.h"

#include "rd.h"

#define GATHER_WAIT 0.001 /* seconds a group waits for company when the last one had some */

struct rd_job {
	const struct rp_report_in *in;
	struct rp_report_result *res;
	struct rp_diag *diag;
	int rc;
	bool done;
	pthread_cond_t cond; /* signalled when done */
	struct rd_job *next;
};

struct rd_writer {
	struct rp_store *st;
	long batch_max, queue_max;
	pthread_mutex_t lock;
	pthread_cond_t work;  /* writer waits: queue not empty or stopping */
	struct rd_job *head, *tail;
	long depth;
	bool stopping;
	long last_batch;      /* size of the previous group */
	long retention;       /* seconds raw originals are kept; 0 = for ever */
	long sweep_interval;  /* seconds between retention sweeps */
	pthread_t thread;
};

/* take_batch - detach up to batch_max jobs from the queue (lock held). */
static struct rd_job *take_batch(struct rd_writer *w, long *n)
{
	struct rd_job *first = w->head, *last = NULL;

	*n = 0;
	for (struct rd_job *j = first; j != NULL && *n < w->batch_max; j = j->next) {
		last = j;
		(*n)++;
	}
	if (last == NULL)
		return NULL;
	w->head = last->next;
	if (w->head == NULL)
		w->tail = NULL;
	last->next = NULL;
	w->depth -= *n;
	return first;
}

/* run_batch - one transaction for the batch; on a failed commit every job fails. */
static void run_batch(struct rd_writer *w, struct rd_job *batch, long n)
{
	struct rp_diag diag = { 0 };
	double t0 = rd_now();
	int rc = rp_store_begin(w->st, &diag);

	for (struct rd_job *j = batch; j != NULL; j = j->next) {
		if (rc != RP_OK) {
			j->rc = rc;
			snprintf(j->diag->reason, sizeof(j->diag->reason), "%s", diag.reason);
			continue;
		}
		j->rc = rp_store_report_add(w->st, j->in, j->res, j->diag);
	}
	if (rc == RP_OK && (rc = rp_store_commit(w->st, &diag)) != RP_OK) {
		for (struct rd_job *j = batch; j != NULL; j = j->next) {
			j->rc = rc;
			snprintf(j->diag->reason, sizeof(j->diag->reason), "commit failed: %.120s", diag.reason);
		}
	}
	if (rc != RP_OK) {
		log_warnx("writer: batch of %ld failed: %s", n, diag.reason);
		rd_metrics_inc(M_COMMIT_FAILURES, 1);
	} else {
		rd_metrics_commit(n, rd_now() - t0);
	}
}

/* run_sweep - one chunk of the retention sweep; true when more may be due. */
static bool run_sweep(struct rd_writer *w)
{
	struct rp_diag diag = { 0 };
	int64_t n = 0;
	size_t chunk = 1000;

	if (rp_store_sweep_raw(w->st, (int64_t)time(NULL) - w->retention, chunk, &n, &diag) != RP_OK) {
		log_warnx("retention sweep: %s", diag.reason);
		return false;
	}
	if (n > 0)
		log_info("retention: dropped %lld raw originals older than %ld s", (long long)n, w->retention);
	return n == (int64_t)chunk;
}

/* wait_work - sleep until a job, stop, or the next sweep (lock held); sweeps while idle. */
static void wait_work(struct rd_writer *w, double *next_sweep)
{
	while (w->head == NULL && !w->stopping) {
		if (w->retention <= 0) {
			pthread_cond_wait(&w->work, &w->lock);
			continue;
		}
		double now = rd_now();
		if (now >= *next_sweep) {
			pthread_mutex_unlock(&w->lock);
			bool more = run_sweep(w);
			pthread_mutex_lock(&w->lock);
			*next_sweep = more ? now : rd_now() + (double)w->sweep_interval;
			continue;
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		double wait = *next_sweep - now;
		ts.tv_sec += (time_t)wait;
		ts.tv_nsec += (long)((wait - (double)(time_t)wait) * 1e9);
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&w->work, &w->lock, &ts);
	}
}

/* gather - when the previous group had company, wait up to GATHER_WAIT for the queue to
 * fill (lock held; a submitter signals work for each job it adds). */
static void gather(struct rd_writer *w)
{
	if (w->last_batch < 2 || w->stopping)
		return;
	double until = rd_now() + GATHER_WAIT;
	while (w->depth < w->batch_max && w->depth < w->last_batch && !w->stopping) {
		double now = rd_now();
		if (now >= until)
			break;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)((until - now) * 1e9);
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&w->work, &w->lock, &ts);
	}
}

/* writer_main - take batches until stopped and the queue is empty. */
static void *writer_main(void *arg)
{
	struct rd_writer *w = arg;
	double next_sweep = rd_now() + 1.0; /* first sweep soon after start */

	pthread_mutex_lock(&w->lock);
	for (;;) {
		wait_work(w, &next_sweep);
		if (w->head == NULL && w->stopping)
			break;
		long n;
		gather(w);
		struct rd_job *batch = take_batch(w, &n);
		w->last_batch = n;
		pthread_mutex_unlock(&w->lock);
		run_batch(w, batch, n);
		pthread_mutex_lock(&w->lock);
		for (struct rd_job *j = batch; j != NULL;) {
			struct rd_job *next = j->next;
			j->done = true; /* j belongs to its submitter once the lock is released */
			pthread_cond_signal(&j->cond);
			j = next;
		}
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* rd_writer_start - start the thread that owns st. */
struct rd_writer *rd_writer_start(struct rp_store *st, long batch_max, long queue_max, long retention,
				  long sweep_interval)
{
	struct rd_writer *w = xcalloc(1, sizeof(*w));

	w->retention = retention;
	w->sweep_interval = sweep_interval;
	w->st = st;
	w->batch_max = batch_max;
	w->queue_max = queue_max;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->work, NULL);
	int err = pthread_create(&w->thread, NULL, writer_main, w);
	if (err != 0) {
		errno = err;
		log_fatal("writer thread");
	}
	return w;
}

/* rd_writer_submit - queue one report and wait for its commit. */
int rd_writer_submit(struct rd_writer *w, const struct rp_report_in *in, struct rp_report_result *res,
		     struct rp_diag *diag)
{
	struct rd_job job = { .in = in, .res = res, .diag = diag };

	pthread_mutex_lock(&w->lock);
	if (w->stopping || w->depth >= w->queue_max) {
		int rc = w->stopping ? RP_EIO : RP_ENOMEM;
		pthread_mutex_unlock(&w->lock);
		rp_diag_set(diag, 0, 0, "%s", rc == RP_EIO ? "shutting down" : "writer queue is full");
		return rc;
	}
	pthread_cond_init(&job.cond, NULL);
	if (w->tail != NULL)
		w->tail->next = &job;
	else
		w->head = &job;
	w->tail = &job;
	w->depth++;
	pthread_cond_signal(&w->work);
	while (!job.done)
		pthread_cond_wait(&job.cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
	pthread_cond_destroy(&job.cond);
	return job.rc;
}

/* rd_writer_depth - queue length now. */
long rd_writer_depth(struct rd_writer *w)
{
	pthread_mutex_lock(&w->lock);
	long d = w->depth;
	pthread_mutex_unlock(&w->lock);
	return d;
}

/* rd_writer_stop - drain, commit, join. */
struct rd_writer *rd_writer_stop(struct rd_writer *w)
{
	if (w == NULL)
		return NULL;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->work);
	xfree(w);
	return NULL;
}
